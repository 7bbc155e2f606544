package dev.blocklift.chunk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.ZstdCompressCtx;
import dev.blocklift.core.ChunkName;
import dev.blocklift.core.CorruptChunkException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Chunk format 1's compression (docs/chunk-format.md): round trips, the raw fallback, determinism,
 * corruption, and frames no writer makes (decompression bombs), sealed with a valid key so that
 * only the frame checks stand between them and the reader. Seeded; failures name their seed.
 */
class ChunkCompressionTest {
  private static final int L = 512 * 1024;
  private static final Salt SALT = Salt.of(new byte[32]);
  private static final ChunkKey KEY = ChunkKey.of(new byte[32]);

  /** Bytes of {@code bits} random bits each (8 = incompressible). */
  static byte[] data(long seed, int length, int bits) {
    byte[] p = new byte[length];
    new SplittableRandom(seed).nextBytes(p);
    int mask = (1 << bits) - 1;
    for (int i = 0; i < p.length; i++) {
      p[i] &= (byte) mask;
    }
    return p;
  }

  private static byte[] decrypt(EncryptedChunk e, Salt salt, int length) {
    return ConvergentEncryption.decrypt(
        ChunkFormat.V1, e.name(), e.key(), salt, e.ciphertext(), length, "test");
  }

  /** A chunk whose frame is {@code kind ‖ body}, validly sealed under {@link #KEY}. */
  private static EncryptedChunk sealed(int kind, byte[] body) {
    return ConvergentEncryption.seal(SALT, KEY, kind, body, 0, body.length, L);
  }

  private static CorruptChunkException refused(EncryptedChunk e, int length) {
    return assertThrows(CorruptChunkException.class, () -> decrypt(e, SALT, length));
  }

  private static byte[] zstd(byte[] p, boolean contentSize) {
    try (ZstdCompressCtx c = new ZstdCompressCtx()) {
      return c.setLevel(3).setContentSize(contentSize).compress(p);
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 17, 4096, 65_535, 100_000, 300_001, L, ChunkSize.MAX})
  void roundTripsCompressibleAndIncompressibleDataOfEveryLength(int length) {
    for (int bits : new int[] {0, 1, 3, 6, 8}) {
      byte[] p = data(length * 31L + bits, length, bits);
      if (bits == 0) {
        p[length / 2] = 1; // not a hole
      }
      for (Compression c : Compression.values()) {
        EncryptedChunk e = ConvergentEncryption.encrypt(SALT, p, c);
        String why = length + " bytes of " + bits + " random bits, " + c;
        assertArrayEquals(p, decrypt(e, SALT, length), why);
        if (c == Compression.NONE) {
          assertEquals(Compression.NONE, e.stored(), why);
        }
        if (c == Compression.ZSTD && bits <= 3 && length >= 4096) {
          assertTrue(e.compressed() && e.storedLength() < length * 0.5, why);
        }
      }
    }
  }

  @RepeatedTest(8)
  void anIncompressibleChunkIsStoredRawAndFlagged(RepetitionInfo info) {
    SplittableRandom r = new SplittableRandom(77L + info.getCurrentRepetition());
    int length = r.nextBoolean() ? L : 1 + r.nextInt(L); // full chunks and short last ones
    byte[] p = data(r.nextLong(), length, 8);
    EncryptedChunk e = ConvergentEncryption.encrypt(SALT, p, Compression.ZSTD);
    String why = "seed " + info.getCurrentRepetition() + ", " + length + " bytes";
    assertEquals(Compression.NONE, e.stored(), why);
    assertEquals(12 + 1 + length + 16, e.storedLength(), why);
    // the frame really is kind 0: a raw frame sealed by hand gives the very same bytes
    EncryptedChunk raw = ConvergentEncryption.seal(SALT, e.key(), 0, p, 0, length, length);
    assertArrayEquals(raw.ciphertext(), e.ciphertext(), why);
    assertArrayEquals(p, decrypt(e, SALT, length), why);
  }

  @Test
  void compressionParsesItsNamesAndEchoesABadOne() {
    assertEquals(Compression.ZSTD, Compression.parse("zstd"));
    assertEquals(Compression.NONE, Compression.parse("NONE"));
    assertEquals(Compression.ZSTD, Compression.DEFAULT);
    assertEquals("zstd", Compression.ZSTD.toString());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Compression.parse("lz4"));
    assertTrue(e.getMessage().contains("\"lz4\""), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Compression.parse(null));
  }

  @Test
  void compressionMustSaveAThirtySecondOfTheChunk() {
    assertEquals(16384, ChunkFrame.minimumSaving(L));
    assertEquals(1, ChunkFrame.minimumSaving(1));
    assertEquals(2, ChunkFrame.minimumSaving(33));
    // 17 bytes of text do not compress by a byte: raw
    byte[] tiny = "hello, blocklift\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    assertEquals(
        Compression.NONE, ConvergentEncryption.encrypt(SALT, tiny, Compression.ZSTD).stored());
  }

  @Test
  void aKnownPlaintextAlwaysGetsTheSameName() {
    // vector 05 of docs/chunk-format.md, pinned here too: 512 KiB of 0x01, salt 00 01 .. 1f
    byte[] salt = new byte[32];
    for (int i = 0; i < 32; i++) {
      salt[i] = (byte) i;
    }
    byte[] p = new byte[L];
    Arrays.fill(p, (byte) 1);
    EncryptedChunk e = ConvergentEncryption.encrypt(Salt.of(salt), p, Compression.ZSTD);
    assertEquals(
        ChunkName.of("e6f4dd5385529ceec32f9019c41b66ccfd765fe9f81f4093de1839c60c8e5b58"), e.name());
    assertEquals(63, e.storedLength());
    assertTrue(e.compressed());
  }

  @Test
  void theSameInputGivesTheSameBytesOnEveryThreadAndCall() throws Exception {
    List<byte[]> inputs = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      inputs.add(data(500 + i, 50_000 + i * 90_000, i % 2 == 0 ? 4 : 8));
    }
    List<EncryptedChunk> first = new ArrayList<>();
    for (byte[] p : inputs) {
      first.add(ConvergentEncryption.encrypt(SALT, p, Compression.ZSTD));
    }
    // pooled zstd contexts, reused in any order from many threads, keep no state between chunks
    try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
      List<Future<Boolean>> same = new ArrayList<>();
      for (int round = 0; round < 24; round++) {
        int i = round % inputs.size();
        same.add(
            pool.submit(
                () ->
                    Arrays.equals(
                        first.get(i).ciphertext(),
                        ConvergentEncryption.encrypt(SALT, inputs.get(i), Compression.ZSTD)
                            .ciphertext())));
      }
      for (Future<Boolean> f : same) {
        assertTrue(f.get());
      }
    }
  }

  @RepeatedTest(16)
  void aCorruptCompressedChunkFailsVerificationAndNeverInflates(RepetitionInfo info) {
    long seed = 4200L + info.getCurrentRepetition();
    SplittableRandom r = new SplittableRandom(seed);
    byte[] p = data(seed, 1000 + r.nextInt(L), 2);
    EncryptedChunk e = ConvergentEncryption.encrypt(SALT, p, Compression.ZSTD);
    assertTrue(e.compressed(), "seed " + seed);
    byte[] bad = e.ciphertext().clone();
    int flips = 1 + r.nextInt(4);
    for (int i = 0; i < flips; i++) {
      bad[r.nextInt(bad.length)] ^= (byte) (1 << r.nextInt(8));
    }
    if (Arrays.equals(bad, e.ciphertext())) {
      return; // two flips of one bit cancelled out
    }
    // as fetched, under its name: the hash catches it
    CorruptChunkException byName =
        assertThrows(
            CorruptChunkException.class,
            () ->
                ConvergentEncryption.decrypt(
                    ChunkFormat.V1, e.name(), e.key(), SALT, bad, p.length, "test"),
            "seed " + seed);
    assertTrue(byName.getMessage().contains("hash"), byName.getMessage());
    // under a name forged to match: the GCM tag catches it, before any zstd runs
    CorruptChunkException byTag =
        assertThrows(
            CorruptChunkException.class,
            () ->
                ConvergentEncryption.decrypt(
                    ChunkFormat.V1,
                    ChunkName.ofCiphertext(bad),
                    e.key(),
                    SALT,
                    bad,
                    p.length,
                    "test"),
            "seed " + seed);
    assertTrue(byTag.getMessage().contains("GCM"), byTag.getMessage());
  }

  @Test
  void aFrameDeclaringMoreThanTheChunkIsRefused() {
    byte[] twice = new byte[2 * L];
    CorruptChunkException e = refused(sealed(1, zstd(twice, true)), L);
    assertTrue(e.getMessage().contains("declares 1048576 bytes"), e.getMessage());
  }

  @Test
  void aFrameWithoutItsContentSizeIsRefused() {
    CorruptChunkException e = refused(sealed(1, zstd(new byte[2 * L], false)), L);
    assertTrue(e.getMessage().contains("does not declare"), e.getMessage());
  }

  @Test
  void aFrameClaimingATebibyteIsRefusedWithoutAllocatingIt() {
    ByteBuffer b = ByteBuffer.allocate(4 + 1 + 8 + 3 + 1).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(0xFD2FB528); // zstd magic
    b.put((byte) 0xE0); // 8-byte content size, single segment
    b.putLong(1L << 40);
    int rle = 1 | (1 << 1) | (1000 << 3); // last block, RLE, 1000 bytes
    b.put((byte) rle).put((byte) (rle >>> 8)).put((byte) (rle >>> 16)).put((byte) 7);
    CorruptChunkException e = refused(sealed(1, b.array()), L);
    assertTrue(e.getMessage().contains("declares 1099511627776 bytes"), e.getMessage());
  }

  @Test
  void aFrameThatLiesAboutItsSizeAndInflatesFurtherIsRefused() {
    byte[] frame = zstd(data(9, 2 * L, 1), true);
    patchContentSize(frame, L); // now it claims the chunk's length, but holds twice that
    assertEquals(L, com.github.luben.zstd.Zstd.getFrameContentSize(frame));
    CorruptChunkException e = refused(sealed(1, frame), L);
    assertTrue(e.getMessage().contains("zstd"), e.getMessage());
  }

  @Test
  void aFrameDeclaringLessThanTheChunkIsRefused() {
    refused(sealed(1, zstd(new byte[L - 1], true)), L);
  }

  @Test
  void bytesAfterTheFrameAreRefused() {
    byte[] frame = zstd(new byte[L], true);
    byte[] skippable = {0x50, 0x2A, 0x4D, 0x18, 4, 0, 0, 0, 1, 2, 3, 4};
    byte[] both = Arrays.copyOf(frame, frame.length + skippable.length);
    System.arraycopy(skippable, 0, both, frame.length, skippable.length);
    CorruptChunkException e = refused(sealed(1, both), L);
    assertTrue(e.getMessage().contains("followed by 12"), e.getMessage());
    byte[] twoFrames = Arrays.copyOf(frame, 2 * frame.length);
    System.arraycopy(frame, 0, twoFrames, frame.length, frame.length);
    refused(sealed(1, twoFrames), L);
  }

  @Test
  void unknownKindsAndRawFramesOfTheWrongLengthAreRefused() {
    byte[] p = data(3, L, 8);
    assertTrue(refused(sealed(2, p), L).getMessage().contains("unknown chunk frame kind 2"));
    assertTrue(refused(sealed(0, Arrays.copyOf(p, L - 1)), L).getMessage().contains("raw frame"));
    assertTrue(refused(sealed(0, new byte[0]), L).getMessage().contains("raw frame"));
    assertTrue(refused(sealed(1, new byte[0]), L).getMessage().contains("empty zstd frame"));
    // longer than any frame of the chunk could be: refused before it is even decrypted
    CorruptChunkException tooLong = refused(sealed(0, Arrays.copyOf(p, L + 1)), L);
    assertTrue(tooLong.getMessage().contains("cannot hold a frame"), tooLong.getMessage());
  }

  @RepeatedTest(24)
  void aMangledButValidlySealedFrameIsRefusedOrGivesExactlyTheChunkLength(RepetitionInfo info) {
    long seed = 6100L + info.getCurrentRepetition();
    SplittableRandom r = new SplittableRandom(seed);
    int length = 1 + r.nextInt(L);
    byte[] frame = zstd(data(seed, length, 1 + r.nextInt(3)), true);
    int flips = 1 + r.nextInt(8);
    for (int i = 0; i < flips; i++) {
      frame[r.nextInt(frame.length)] ^= (byte) (1 << r.nextInt(8));
    }
    EncryptedChunk e = ConvergentEncryption.seal(SALT, KEY, 1, frame, 0, frame.length, length);
    try {
      assertEquals(length, decrypt(e, SALT, length).length, "seed " + seed);
    } catch (CorruptChunkException expected) {
      // refused: the only other outcome
    }
  }

  /** Rewrites the 4- or 8-byte frame content size field of a zstd frame in place. */
  private static void patchContentSize(byte[] frame, long size) {
    int fhd = frame[4] & 0xff;
    int fcsFlag = fhd >>> 6;
    boolean single = (fhd & 0x20) != 0;
    int dictBytes = new int[] {0, 1, 2, 4}[fhd & 3];
    int at = 5 + (single ? 0 : 1) + dictBytes;
    int width = new int[] {single ? 1 : 0, 2, 4, 8}[fcsFlag];
    assertTrue(width == 4 || width == 8, "content size field of " + width + " bytes");
    for (int i = 0; i < width; i++) {
      frame[at + i] = (byte) (size >>> (8 * i));
    }
  }
}
