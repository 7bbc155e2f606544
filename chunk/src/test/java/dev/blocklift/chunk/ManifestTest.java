package dev.blocklift.chunk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.chunk.keys.LocalKeyring;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ChunkName;
import dev.blocklift.core.CorruptChunkException;
import dev.blocklift.core.CorruptDataException;
import dev.blocklift.core.Digest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ManifestTest {
  @TempDir Path dir;
  private LocalKeyring keys;
  private final TenantId tenant = TenantId.of("team-a");
  private static final byte[] CONFIG =
      "{\"config\":{\"Entrypoint\":[\"/bin/sh\"],\"Env\":[\"A=1\"]}}"
          .getBytes(StandardCharsets.UTF_8);
  private static final Digest DIGEST = Digest.sha256(CONFIG);

  @BeforeEach
  void setUp() throws Exception {
    keys = LocalKeyring.open(dir.resolve("keyring.json"), Clock.systemUTC());
  }

  /** A converted image: plaintexts (null = hole), ciphertexts and the sealed manifest. */
  @SuppressWarnings("ArrayRecordComponent")
  record Image(byte[][] plain, byte[][] cipher, byte[] manifest, Salt salt) {}

  Image image(long seed, int chunks, long deviceSize) {
    return image(seed, chunks, deviceSize, ChunkFormat.CURRENT);
  }

  /** An image whose chunks are in {@code format}; about a third of them compress. */
  Image image(long seed, int chunks, long deviceSize, ChunkFormat format) {
    SplittableRandom r = new SplittableRandom(seed);
    ChunkSize cs = ChunkSize.of(64 * 1024);
    byte[] s = new byte[32];
    r.nextBytes(s);
    Salt salt = Salt.of(s);
    byte[][] plain = new byte[chunks][];
    byte[][] cipher = new byte[chunks][];
    ManifestBuilder b = new ManifestBuilder(DIGEST, CONFIG, cs, deviceSize, "root-1", salt, format);
    // record in a shuffled order, as parallel workers would
    Integer[] order = new Integer[chunks];
    Arrays.setAll(order, i -> i);
    for (int i = chunks - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      Integer t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    for (int i : order) {
      if (r.nextInt(4) == 0) {
        b.hole(i);
        continue;
      }
      byte[] p = new byte[cs.lengthOf(i, deviceSize)];
      r.nextBytes(p);
      if (r.nextInt(3) == 0) {
        for (int k = 0; k < p.length; k++) {
          p[k] &= 0x0f;
        }
      }
      if (i == 1 && chunks > 2) {
        p = plain[0] != null ? plain[0] : p; // sometimes a duplicate chunk
      }
      EncryptedChunk e =
          format == ChunkFormat.V0
              ? ConvergentEncryption.encryptV0(salt, p, 0, p.length)
              : ConvergentEncryption.encrypt(salt, p, Compression.ZSTD);
      plain[i] = p;
      cipher[i] = e.ciphertext();
      b.chunk(i, e);
    }
    return new Image(plain, cipher, b.seal(keys, tenant), salt);
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4})
  void roundTrip(long seed) {
    int chunks = 1 + (int) (seed * 7);
    long size = (long) chunks * 65536 - (seed % 2 == 0 ? 0 : 1000);
    Image img = image(seed, chunks, size);

    Manifest m = Manifest.parse(img.manifest()); // public part: no keys needed
    assertEquals(2, Manifest.FORMAT_VERSION);
    assertEquals(Manifest.FORMAT_VERSION, m.formatVersion());
    assertEquals(ChunkFormat.V1, m.chunkFormat());
    assertEquals(DIGEST, m.imageDigest());
    assertArrayEquals(CONFIG, m.imageConfigJson());
    assertEquals(65536, m.chunkSize());
    assertEquals(size, m.deviceSize());
    assertEquals(chunks, m.chunkCount());
    assertEquals("root-1", m.saltRootId());
    assertEquals(tenant, m.tenant());
    for (int i = 0; i < chunks; i++) {
      assertEquals(
          Optional.ofNullable(img.cipher()[i]).map(ChunkName::ofCiphertext),
          m.chunk(i),
          "seed " + seed + " chunk " + i);
    }

    OpenedManifest o = OpenedManifest.open(img.manifest(), keys, tenant);
    assertEquals(img.salt(), o.salt());
    for (int i = 0; i < chunks; i++) {
      if (img.plain()[i] == null) {
        assertTrue(o.key(i).isEmpty());
        int hole = i;
        assertThrows(IllegalArgumentException.class, () -> o.decrypt(hole, new byte[16]));
      } else {
        assertArrayEquals(img.plain()[i], o.decrypt(i, img.cipher()[i]), "seed " + seed);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(longs = {11, 12})
  void versionOneManifestsAndTheirUncompressedChunksStillRead(long seed) {
    int chunks = 9;
    long size = chunks * 65536L - 333;
    Image old = image(seed, chunks, size, ChunkFormat.V0);
    Manifest m = Manifest.parse(old.manifest());
    assertEquals(1, m.formatVersion());
    assertEquals(ChunkFormat.V0, m.chunkFormat());
    OpenedManifest o = OpenedManifest.open(old.manifest(), keys, tenant);
    for (int i = 0; i < chunks; i++) {
      if (old.plain()[i] != null) {
        assertEquals(old.plain()[i].length + 16, old.cipher()[i].length);
        assertArrayEquals(old.plain()[i], o.decrypt(i, old.cipher()[i]), "seed " + seed);
      }
    }
    // the same image converted again: a version 2 manifest, other names, same keys
    Image again = image(seed, chunks, size, ChunkFormat.V1);
    OpenedManifest o2 = OpenedManifest.open(again.manifest(), keys, tenant);
    for (int i = 0; i < chunks; i++) {
      if (old.plain()[i] != null) {
        assertEquals(o.key(i), o2.key(i), "K = SHA-256(salt ‖ P) in both formats");
        assertTrue(!o.manifest().chunk(i).equals(o2.manifest().chunk(i)));
        int index = i;
        assertThrows(CorruptChunkException.class, () -> o2.decrypt(index, old.cipher()[index]));
      }
    }
  }

  @Test
  void aManifestOfAnUnknownVersionIsRefusedWithTheVersionsRead() {
    byte[] t = image(13, 2, 2 * 65536).manifest();
    t[9] = 3;
    CorruptDataException e = assertThrows(CorruptDataException.class, () -> Manifest.parse(t));
    assertTrue(
        e.getMessage().contains("is 3; this blocklift reads versions 1 to 2"), e.getMessage());
  }

  @Test
  void publicPartIsDeterministicAndSealIsFresh() {
    Image a = image(9, 12, 12 * 65536);
    Image b = image(9, 12, 12 * 65536);
    int publicLength = Manifest.parse(a.manifest()).publicLength();
    assertArrayEquals(
        Arrays.copyOf(a.manifest(), publicLength), Arrays.copyOf(b.manifest(), publicLength));
    assertTrue(!Arrays.equals(a.manifest(), b.manifest()), "fresh data key and nonce per seal");
  }

  @Test
  void everyChangedByteIsCaughtByOpen() {
    Image img = image(5, 6, 6 * 65536 - 17);
    byte[] bytes = img.manifest();
    SplittableRandom r = new SplittableRandom(5);
    for (int pos = 0; pos < bytes.length; pos++) {
      byte[] t = bytes.clone();
      t[pos] ^= (byte) (1 << r.nextInt(8));
      int p = pos;
      assertThrows(
          BlockliftException.class,
          () -> OpenedManifest.open(t, keys, tenant),
          () -> "flipped a bit of byte " + p + " of " + bytes.length + " went unnoticed");
    }
  }

  @Test
  void theWrongTenantCannotOpen() {
    Image img = image(6, 4, 4 * 65536);
    keys.ensureTenant(TenantId.of("team-b"));
    BlockliftException e =
        assertThrows(
            BlockliftException.class,
            () -> OpenedManifest.open(img.manifest(), keys, TenantId.of("team-b")));
    assertTrue(e.getMessage().contains("team-a") && e.getMessage().contains("team-b"));

    // rewriting the tenant field to team-b does not help: team-a's wrapped key names team-a
    Manifest m = Manifest.parse(img.manifest());
    byte[] forged = img.manifest().clone();
    int at = m.publicLength() + 4 + 2;
    forged[at + 5] = 'b';
    assertThrows(
        BlockliftException.class, () -> OpenedManifest.open(forged, keys, TenantId.of("team-b")));
  }

  @Test
  void anotherKeyringCannotOpen() throws Exception {
    Image img = image(7, 3, 3 * 65536);
    LocalKeyring other = LocalKeyring.open(dir.resolve("other.json"), Clock.systemUTC());
    other.ensureTenant(tenant);
    assertThrows(
        CorruptDataException.class, () -> OpenedManifest.open(img.manifest(), other, tenant));
  }

  @Test
  void aChunkFromElsewhereIsCorrupt() {
    Image img = image(8, 8, 8 * 65536);
    OpenedManifest o = OpenedManifest.open(img.manifest(), keys, tenant);
    java.util.List<Integer> data = new java.util.ArrayList<>();
    for (int i = 0; i < 8; i++) {
      Optional<ChunkName> name = o.manifest().chunk(i);
      if (name.isPresent() && data.stream().noneMatch(d -> o.manifest().chunk(d).equals(name))) {
        data.add(i);
      }
    }
    assertTrue(data.size() >= 2, "seed 8 must give two distinct chunks: " + data);
    int first = data.get(0);
    int second = data.get(1);
    CorruptChunkException e =
        assertThrows(CorruptChunkException.class, () -> o.decrypt(first, img.cipher()[second]));
    assertTrue(e.getMessage().contains("chunk " + first), e.getMessage());
    byte[] flipped = img.cipher()[first].clone();
    flipped[flipped.length / 2] ^= 4;
    assertThrows(CorruptChunkException.class, () -> o.decrypt(first, flipped));
  }

  @Test
  void strictParsingNamesTheField() {
    byte[] good = image(10, 3, 3 * 65536).manifest();
    assertField(good, 0, "magic");
    assertField(good, 9, "version");
    assertField(good, 11, "flags");
    CorruptDataException e =
        assertThrows(CorruptDataException.class, () -> Manifest.parse(Arrays.copyOf(good, 40)));
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    e =
        assertThrows(
            CorruptDataException.class, () -> Manifest.parse(Arrays.copyOf(good, good.length + 1)));
    assertTrue(e.getMessage().contains("trailing"), e.getMessage());
    assertThrows(CorruptDataException.class, () -> Manifest.parse(new byte[0]));
  }

  private static void assertField(byte[] good, int pos, String field) {
    byte[] t = good.clone();
    t[pos] ^= 1;
    CorruptDataException e = assertThrows(CorruptDataException.class, () -> Manifest.parse(t));
    assertTrue(e.getMessage().contains("field " + field), e.getMessage());
  }

  @Test
  void sealingRequiresEveryChunkRecordedOnce() {
    ManifestBuilder b =
        new ManifestBuilder(
            DIGEST, CONFIG, ChunkSize.DEFAULT, 3L * 512 * 1024, "root-1", Salt.of(new byte[32]));
    b.hole(0);
    b.hole(2);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.seal(keys, tenant));
    assertTrue(e.getMessage().contains("chunk 1"), e.getMessage());
    assertThrows(IllegalStateException.class, () -> b.hole(2));
    assertThrows(IndexOutOfBoundsException.class, () -> b.hole(3));
    b.hole(1);
    Manifest m = Manifest.parse(b.seal(keys, tenant));
    assertEquals(3, m.holeCount());
    assertEquals(0, OpenedManifest.open(m, keys, tenant).manifest().dataChunkCount());
  }

  @Test
  void recordsFromManyVirtualThreads() throws Exception {
    int chunks = 200;
    long size = (long) chunks * 65536;
    Salt salt = Salt.of(new byte[32]);
    ManifestBuilder b =
        new ManifestBuilder(DIGEST, CONFIG, ChunkSize.of(65536), size, "root-2", salt);
    byte[][] plain = new byte[chunks][];
    java.util.List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
    try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < chunks; i++) {
        int idx = i;
        byte[] p = new byte[65536];
        new SplittableRandom(idx).nextBytes(p);
        plain[i] = idx % 5 == 0 ? null : p;
        done.add(
            pool.submit(
                () -> {
                  if (idx % 5 == 0) {
                    b.hole(idx);
                  } else {
                    b.chunk(idx, ConvergentEncryption.encrypt(salt, p, Compression.ZSTD));
                  }
                  return null;
                }));
      }
    }
    for (var f : done) {
      f.get();
    }
    OpenedManifest o = OpenedManifest.open(b.seal(keys, tenant), keys, tenant);
    assertEquals(chunks / 5, o.manifest().holeCount());
    for (int i = 0; i < chunks; i++) {
      if (plain[i] != null) {
        EncryptedChunk e = ConvergentEncryption.encrypt(salt, plain[i], Compression.ZSTD);
        assertEquals(Optional.of(e.name()), o.manifest().chunk(i));
        assertEquals(Optional.of(e.key()), o.key(i));
      }
    }
  }
}
