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
import dev.blocklift.core.ImageName;
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
  private static final ImageName NAME = ImageName.parse("team/app:1");
  private static final ManifestMac MAC = ServiceSecret.of(new byte[32]).manifestMac();

  private byte[] seal(ManifestBuilder b) {
    return b.seal(keys, tenant, NAME, 7, MAC);
  }

  private OpenedManifest open(byte[] manifest) {
    return OpenedManifest.open(manifest, keys, tenant, NAME);
  }

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
    return new Image(plain, cipher, seal(b), salt);
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4})
  void roundTrip(long seed) {
    int chunks = 1 + (int) (seed * 7);
    long size = (long) chunks * 65536 - (seed % 2 == 0 ? 0 : 1000);
    Image img = image(seed, chunks, size);

    Manifest m = Manifest.parse(img.manifest()); // public part: no keys needed
    assertEquals(3, Manifest.FORMAT_VERSION);
    assertEquals(Manifest.FORMAT_VERSION, m.formatVersion());
    assertEquals(ChunkFormat.V1, m.chunkFormat());
    assertEquals(DIGEST, m.imageDigest());
    assertEquals(Optional.of(NAME), m.imageName());
    assertEquals(7, m.sequence());
    m.verifyMac(MAC);
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

    OpenedManifest o = open(img.manifest());
    assertEquals(img.salt(), o.salt());
    assertArrayEquals(CONFIG, o.imageConfigJson(), "the config comes from the sealed section");
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
  void legacyManifestsParseButAreNeitherOpenedNorTrustedByGc(long seed) {
    int chunks = 9;
    long size = chunks * 65536L - 333;
    Image old = image(seed, chunks, size, ChunkFormat.V0);
    Manifest m = Manifest.parse(old.manifest());
    assertEquals(1, m.formatVersion());
    assertEquals(ChunkFormat.V0, m.chunkFormat());
    assertTrue(m.isLegacy());
    BlockliftException e = assertThrows(BlockliftException.class, () -> open(old.manifest()));
    assertTrue(e.getMessage().contains("convert the image again"), e.getMessage());
    CorruptDataException g = assertThrows(CorruptDataException.class, () -> m.verifyMac(MAC));
    assertTrue(g.getMessage().contains("has no MAC"), g.getMessage());
  }

  @Test
  void aManifestCopiedOverAnotherNameIsRefused() {
    Image curl = image(21, 3, 3 * 65536);
    // The store serves it as team/base:1: the name sealed in it says otherwise.
    BlockliftException e =
        assertThrows(
            BlockliftException.class,
            () ->
                OpenedManifest.open(curl.manifest(), keys, tenant, ImageName.parse("team/base:1")));
    assertTrue(
        e.getMessage().contains("sealed as team/app:1") && e.getMessage().contains("swapped"),
        e.getMessage());
  }

  @Test
  void theConfigIsNotInThePublicBytes() {
    Image img = image(22, 2, 2 * 65536);
    String all = new String(img.manifest(), StandardCharsets.ISO_8859_1);
    assertTrue(!all.contains("Entrypoint") && !all.contains("A=1"), "config leaked in the clear");
  }

  @Test
  void theMacIsTheServiceSecretsAndCoversEveryByte() {
    Image img = image(23, 5, 5 * 65536);
    Manifest m = Manifest.parse(img.manifest());
    CorruptDataException e =
        assertThrows(
            CorruptDataException.class,
            () -> m.verifyMac(ServiceSecret.of(filled(32, (byte) 1)).manifestMac()));
    assertTrue(e.getMessage().contains("fails its MAC"), e.getMessage());
    SplittableRandom r = new SplittableRandom(23);
    for (int pos = 0; pos < img.manifest().length; pos++) {
      byte[] t = img.manifest().clone();
      t[pos] ^= (byte) (1 << r.nextInt(8));
      int p = pos;
      assertThrows(
          CorruptDataException.class,
          () -> Manifest.parse(t).verifyMac(MAC),
          () -> "gc would trust a manifest with byte " + p + " changed");
    }
  }

  private static byte[] filled(int n, byte b) {
    byte[] a = new byte[n];
    Arrays.fill(a, b);
    return a;
  }

  @Test
  void aManifestOfAnUnknownVersionIsRefusedWithTheVersionsRead() {
    byte[] t = image(13, 2, 2 * 65536).manifest();
    t[9] = 4;
    CorruptDataException e = assertThrows(CorruptDataException.class, () -> Manifest.parse(t));
    assertTrue(
        e.getMessage().contains("is 4; this blocklift reads versions 1 to 3"), e.getMessage());
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
  void everyChangedByteBeforeTheMacIsCaughtByOpen() {
    Image img = image(5, 6, 6 * 65536 - 17);
    byte[] bytes = img.manifest();
    SplittableRandom r = new SplittableRandom(5);
    // The MAC (magic + 32 bytes) is gc's; readers need not hold the service secret.
    for (int pos = 0; pos < bytes.length - 36; pos++) {
      byte[] t = bytes.clone();
      t[pos] ^= (byte) (1 << r.nextInt(8));
      int p = pos;
      assertThrows(
          BlockliftException.class,
          () -> open(t),
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
            () -> OpenedManifest.open(img.manifest(), keys, TenantId.of("team-b"), NAME));
    assertTrue(e.getMessage().contains("team-a") && e.getMessage().contains("team-b"));

    // rewriting the tenant field to team-b does not help: team-a's wrapped key names team-a
    Manifest m = Manifest.parse(img.manifest());
    byte[] forged = img.manifest().clone();
    int at = m.publicLength() + 4 + 2;
    forged[at + 5] = 'b';
    assertThrows(
        BlockliftException.class,
        () -> OpenedManifest.open(forged, keys, TenantId.of("team-b"), NAME));
  }

  @Test
  void anotherKeyringCannotOpen() throws Exception {
    Image img = image(7, 3, 3 * 65536);
    LocalKeyring other = LocalKeyring.open(dir.resolve("other.json"), Clock.systemUTC());
    other.ensureTenant(tenant);
    assertThrows(
        CorruptDataException.class, () -> OpenedManifest.open(img.manifest(), other, tenant, NAME));
  }

  @Test
  void aChunkFromElsewhereIsCorrupt() {
    Image img = image(8, 8, 8 * 65536);
    OpenedManifest o = open(img.manifest());
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
    t[pos] ^= 0x40; // (a low bit of the version would make another readable version)
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
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> seal(b));
    assertTrue(e.getMessage().contains("chunk 1"), e.getMessage());
    assertThrows(IllegalStateException.class, () -> b.hole(2));
    assertThrows(IndexOutOfBoundsException.class, () -> b.hole(3));
    b.hole(1);
    Manifest m = Manifest.parse(seal(b));
    assertEquals(3, m.holeCount());
    assertEquals(0, OpenedManifest.open(m, keys, tenant, NAME).manifest().dataChunkCount());
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
    OpenedManifest o = open(seal(b));
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
