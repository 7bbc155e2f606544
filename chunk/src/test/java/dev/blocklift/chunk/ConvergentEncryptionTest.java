package dev.blocklift.chunk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.ChunkName;
import dev.blocklift.core.CorruptChunkException;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/**
 * Seeded property tests of convergent encryption in chunk format 1 (and format 0, still read). Each
 * failure message carries its seed. Compression itself: {@link ChunkCompressionTest}.
 */
class ConvergentEncryptionTest {
  private static final int[] LENGTHS = {
    1, 15, 16, 17, 4095, 65536, 65537, 100_000, 524_288, ChunkSize.MAX
  };

  /** A salt and a plaintext: random, or (every other seed) compressible, of a random length. */
  @SuppressWarnings("ArrayRecordComponent")
  record Case(long seed, Salt salt, byte[] plaintext, Compression compression) {
    static Case of(long seed) {
      SplittableRandom r = new SplittableRandom(seed);
      byte[] s = new byte[32];
      r.nextBytes(s);
      int length = r.nextBoolean() ? LENGTHS[r.nextInt(LENGTHS.length)] : 1 + r.nextInt(1 << 20);
      byte[] p = new byte[length];
      r.nextBytes(p);
      if (seed % 2 == 0) {
        for (int i = 0; i < p.length; i++) {
          p[i] &= 0x07; // three random bits a byte: compresses to well under half
        }
      }
      return new Case(seed, Salt.of(s), p, r.nextInt(4) == 0 ? Compression.NONE : Compression.ZSTD);
    }

    EncryptedChunk encrypt() {
      return ConvergentEncryption.encrypt(salt, plaintext, compression);
    }

    byte[] decrypt(ChunkName name, ChunkKey key, Salt salt, byte[] stored) {
      return ConvergentEncryption.decrypt(
          ChunkFormat.V1, name, key, salt, stored, plaintext.length, "store x");
    }

    String why() {
      return "seed " + seed + ", plaintext length " + plaintext.length + ", " + compression;
    }
  }

  private static long seed(RepetitionInfo info) {
    return 0xB10C_0000L + info.getCurrentRepetition();
  }

  @RepeatedTest(24)
  void roundTripsAndIsConvergent(RepetitionInfo info) {
    Case c = Case.of(seed(info));
    EncryptedChunk e = c.encrypt();
    int raw = 12 + 1 + c.plaintext().length + 16;
    if (e.compressed()) {
      assertTrue(e.ciphertext().length < raw, c.why());
    } else {
      assertEquals(raw, e.ciphertext().length, c.why());
    }
    boolean compressible = c.seed() % 2 == 0 && c.plaintext().length >= 4096;
    if (c.compression() == Compression.NONE || compressible || c.seed() % 2 != 0) {
      assertEquals(c.compression() == Compression.ZSTD && compressible, e.compressed(), c.why());
    }
    assertEquals(c.plaintext().length, e.plaintextLength(), c.why());
    assertEquals(ChunkName.ofCiphertext(e.ciphertext()), e.name(), c.why());
    assertEquals(
        ConvergentEncryption.deriveKey(c.salt(), c.plaintext(), 0, c.plaintext().length),
        e.key(),
        "K = SHA-256(salt ‖ P) whatever the frame: " + c.why());
    assertArrayEquals(
        c.plaintext(), c.decrypt(e.name(), e.key(), c.salt(), e.ciphertext()), c.why());

    // same salt + plaintext -> same key, name and bytes, even from an offset in a larger buffer
    byte[] padded = new byte[c.plaintext().length + 10];
    System.arraycopy(c.plaintext(), 0, padded, 7, c.plaintext().length);
    EncryptedChunk again =
        ConvergentEncryption.encrypt(c.salt(), padded, 7, c.plaintext().length, c.compression());
    assertEquals(e.name(), again.name(), c.why());
    assertEquals(e.key(), again.key(), c.why());
    assertArrayEquals(e.ciphertext(), again.ciphertext(), c.why());
  }

  @RepeatedTest(8)
  void formatZeroChunksStillDecrypt(RepetitionInfo info) {
    Case c = Case.of(seed(info));
    EncryptedChunk e =
        ConvergentEncryption.encryptV0(c.salt(), c.plaintext(), 0, c.plaintext().length);
    assertEquals(c.plaintext().length + 16, e.ciphertext().length, c.why());
    assertEquals(e.key(), c.encrypt().key(), "one key for both formats: " + c.why());
    assertArrayEquals(
        c.plaintext(),
        ConvergentEncryption.decrypt(
            ChunkFormat.V0, e.name(), e.key(), c.salt(), e.ciphertext(), c.plaintext().length, "x"),
        c.why());
    // read as the other format, or with the wrong length, it is corrupt, never wrong bytes
    assertThrows(
        CorruptChunkException.class,
        () -> c.decrypt(e.name(), e.key(), c.salt(), e.ciphertext()),
        c.why());
    assertThrows(
        CorruptChunkException.class,
        () ->
            ConvergentEncryption.decrypt(
                ChunkFormat.V0,
                e.name(),
                e.key(),
                c.salt(),
                e.ciphertext(),
                c.plaintext().length + 1,
                "x"),
        c.why());
  }

  @RepeatedTest(8)
  void theTwoFormatsNeverShareANonce(RepetitionInfo info) {
    // K is the same in both formats: format 1 must not encrypt under format 0's zero nonce
    Case c = Case.of(seed(info));
    byte[] nonce = Arrays.copyOf(c.encrypt().ciphertext(), 12);
    assertTrue(!Arrays.equals(new byte[12], nonce), c.why());
    Case other = new Case(c.seed(), c.salt(), c.plaintext(), Compression.NONE);
    Case zstd = new Case(c.seed(), c.salt(), c.plaintext(), Compression.ZSTD);
    if (zstd.encrypt().compressed()) {
      assertTrue(
          !Arrays.equals(
              Arrays.copyOf(other.encrypt().ciphertext(), 12),
              Arrays.copyOf(zstd.encrypt().ciphertext(), 12)),
          "a raw and a zstd frame of one plaintext get different nonces: " + c.why());
    }
  }

  @RepeatedTest(12)
  void differentSaltGivesDifferentNameAndKey(RepetitionInfo info) {
    Case c = Case.of(seed(info));
    byte[] other = c.salt().bytes();
    other[new SplittableRandom(c.seed()).nextInt(32)] ^= 1;
    EncryptedChunk a = c.encrypt();
    EncryptedChunk b = ConvergentEncryption.encrypt(Salt.of(other), c.plaintext(), c.compression());
    assertNotEquals(a.name(), b.name(), c.why());
    assertNotEquals(a.key(), b.key(), c.why());
  }

  @RepeatedTest(12)
  void aFlippedCiphertextBitIsCaught(RepetitionInfo info) {
    Case c = Case.of(seed(info));
    EncryptedChunk e = c.encrypt();
    SplittableRandom r = new SplittableRandom(c.seed() * 31);
    byte[] t = e.ciphertext().clone();
    int pos = r.nextInt(t.length);
    t[pos] ^= (byte) (1 << r.nextInt(8));
    CorruptChunkException ex =
        assertThrows(
            CorruptChunkException.class,
            () -> c.decrypt(e.name(), e.key(), c.salt(), t),
            c.why() + ", flipped byte " + pos);
    assertEquals(e.name(), ex.chunkName());
    assertTrue(ex.getMessage().contains("does not hash to its name"), ex.getMessage());
  }

  @RepeatedTest(8)
  void aWrongKeyOrSaltFailsTheTagEvenWhenTheNameMatches(RepetitionInfo info) {
    Case c = Case.of(seed(info));
    EncryptedChunk e = c.encrypt();
    byte[] k = e.key().bytes();
    k[0] ^= 1;
    CorruptChunkException wrongKey =
        assertThrows(
            CorruptChunkException.class,
            () -> c.decrypt(e.name(), ChunkKey.of(k), c.salt(), e.ciphertext()),
            c.why());
    assertTrue(wrongKey.getMessage().contains("GCM"), wrongKey.getMessage());
    byte[] s = c.salt().bytes();
    s[31] ^= 1;
    assertThrows(
        CorruptChunkException.class,
        () -> c.decrypt(e.name(), e.key(), Salt.of(s), e.ciphertext()),
        c.why());
  }

  @Test
  void aForgedChunkWhoseNameMatchesButTagDoesNotIsCaught() {
    Salt salt = Salt.of(new byte[32]);
    byte[] data = "data".repeat(1000).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    EncryptedChunk e = ConvergentEncryption.encrypt(salt, data, Compression.ZSTD);
    assertTrue(e.compressed());
    for (int pos : new int[] {0, 11, 12, 13, e.ciphertext().length - 1}) {
      byte[] forged = e.ciphertext().clone();
      forged[pos] ^= 1;
      // the attacker also controls the name (e.g. a tampered, unauthenticated public part)
      ChunkName forgedName = ChunkName.ofCiphertext(forged);
      assertThrows(
          CorruptChunkException.class,
          () ->
              ConvergentEncryption.decrypt(
                  ChunkFormat.V1, forgedName, e.key(), salt, forged, data.length, "test"),
          "flipped byte " + pos);
    }
    for (int n : new int[] {0, 3, 28}) {
      assertThrows(
          CorruptChunkException.class,
          () ->
              ConvergentEncryption.decrypt(
                  ChunkFormat.V1,
                  ChunkName.ofCiphertext(new byte[n]),
                  e.key(),
                  salt,
                  new byte[n],
                  data.length,
                  "test"));
    }
  }

  @Test
  void secretsNeverPrint() {
    Salt salt = Salt.of(new byte[32]);
    EncryptedChunk e = ConvergentEncryption.encrypt(salt, new byte[] {1, 2, 3}, Compression.ZSTD);
    assertTrue(
        !salt.toString().contains("00000000") && !e.key().toString().contains(e.key().toHex()));
    assertThrows(IllegalArgumentException.class, () -> Salt.of(new byte[31]));
    assertThrows(IllegalArgumentException.class, () -> ChunkKey.of(new byte[33]));
    assertTrue(Arrays.equals(salt.bytes(), new byte[32]));
  }
}
