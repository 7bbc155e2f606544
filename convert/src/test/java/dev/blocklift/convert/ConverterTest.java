package dev.blocklift.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.chunk.ChunkFormat;
import dev.blocklift.chunk.Compression;
import dev.blocklift.chunk.Manifest;
import dev.blocklift.chunk.OpenedManifest;
import dev.blocklift.chunk.TenantId;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ChunkName;
import dev.blocklift.core.CorruptDataException;
import dev.blocklift.core.ImageName;
import dev.blocklift.store.ChunkStore;
import dev.blocklift.store.StoredChunk;
import dev.blocklift.store.local.LocalChunkStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConverterTest {
  @TempDir Path dir;

  @Test
  void convertStoresEveryChunkOnceAndPublishesAManifestThatVerifies() throws Exception {
    try (TestHome home = new TestHome(dir)) {
      Path device = TestHome.device(dir.resolve("a.img"), 30, 1);
      ConvertResult r = home.convert(device, "team/app:v1");
      ConvertStats s = r.stats();
      assertEquals(30, s.chunks());
      assertEquals(10, s.holes());
      assertEquals(1, s.duplicateChunks(), "chunk 4 repeats chunk 1");
      assertEquals(19, s.newChunks());
      assertEquals(0, s.presentChunks());
      // random chunks do not compress: stored raw, 29 bytes of nonce, frame kind and tag each
      assertEquals(19 * (64 * 1024 + 29L), s.bytesUploaded());
      assertEquals(20 * (64 * 1024 + 29L), s.storedBytes(), "duplicates included");
      assertEquals(20 * 64 * 1024L, s.dataBytes());
      assertEquals(Compression.ZSTD, s.compression());
      assertEquals(0, s.compressedChunks());
      assertEquals(19, count(home.store.chunks()));
      VerifyReport v =
          home.verifier().verify(ImageName.parse("team/app:v1"), TenantId.DEFAULT, n -> {});
      assertTrue(v.ok(), v.problems().toString());
      assertEquals(19, v.checked());

      // The decrypted chunks are the device's bytes.
      OpenedManifest m = home.verifier().open(ImageName.parse("team/app:v1"), TenantId.DEFAULT);
      byte[] all = Files.readAllBytes(device);
      for (int i = 0; i < 30; i++) {
        Optional<ChunkName> c = m.manifest().chunk(i);
        byte[] expected = java.util.Arrays.copyOfRange(all, i * 65536, (i + 1) * 65536);
        if (c.isEmpty()) {
          assertTrue(java.util.Arrays.equals(expected, new byte[65536]), "hole " + i);
        } else {
          assertArrayEquals(
              expected, m.decrypt(i, home.store.chunks().get(c.get()).orElseThrow()), "chunk " + i);
        }
      }

      ConvertResult again = home.convert(device, "team/app:v2");
      assertEquals(0, again.stats().newChunks(), "a second conversion uploads nothing");
      assertEquals(19, again.stats().presentChunks());
      assertEquals(0, again.stats().bytesUploaded());
    }
  }

  @Test
  void aDerivedDeviceUploadsOnlyItsUniqueChunks() throws Exception {
    try (TestHome home = new TestHome(dir)) {
      Path base = TestHome.device(dir.resolve("base.img"), 40, 2);
      home.convert(base, "base:1");
      Path derived = dir.resolve("derived.img");
      Files.copy(base, derived);
      TestHome.rewriteChunk(derived, 38, 99); // was a hole
      TestHome.rewriteChunk(derived, 39, 98); // was data
      ConvertResult r = home.convert(derived, "derived:1");
      assertEquals(2, r.stats().newChunks(), r.stats().toString());
      assertEquals(2L * (65536 + 29), r.stats().bytesUploaded());
    }
  }

  @Test
  void compressionIsTheDefaultAndNoneStillConverts() throws Exception {
    try (TestHome home = new TestHome(dir)) {
      Path device = TestHome.compressibleDevice(dir.resolve("c.img"), 12, 7);
      byte[] all = Files.readAllBytes(device);
      assertEquals(Compression.ZSTD, TestHome.options("x:1").compression(), "the default");

      ConvertResult zstd = home.convert(device, "zipped:1");
      ConvertResult none =
          home.convert(
              device, "plain:1", TestHome.options("plain:1").withCompression(Compression.NONE));
      ConvertStats z = zstd.stats();
      ConvertStats n = none.stats();
      System.out.println("[figures] zstd: " + z.toMap() + "\n[figures] none: " + n.toMap());

      // 4 compressible + 4 random data chunks (every third chunk a hole)
      assertEquals(12, z.chunks());
      assertEquals(4, z.holes());
      assertEquals(z.dataBytes(), n.dataBytes());
      assertEquals(Compression.ZSTD, z.compression());
      assertEquals(4, z.compressedChunks(), z.toString());
      assertTrue(z.storedBytes() < 0.7 * z.dataBytes(), z.toString());
      assertEquals(z.storedBytes(), z.bytesUploaded(), "every chunk new, no duplicates");
      assertEquals("zstd", z.toMap().get("compression"));
      assertTrue((double) z.toMap().get("storedRatio") < 0.7, z.toMap().toString());

      assertEquals(Compression.NONE, n.compression());
      assertEquals(0, n.compressedChunks());
      assertEquals(n.dataBytes() + 8 * 29L, n.storedBytes(), n.toString());
      // a chunk stored raw is the same chunk whatever the setting: the 4 random ones dedup; the
      // compressible ones, raw now, are new chunks
      assertEquals(4, n.newChunks(), n.toString());
      assertEquals(4, n.presentChunks(), n.toString());
      assertEquals("none", n.toMap().get("compression"));

      for (String image : new String[] {"zipped:1", "plain:1"}) {
        ImageName name = ImageName.parse(image);
        VerifyReport v = home.verifier().verify(name, TenantId.DEFAULT, k -> {});
        assertTrue(v.ok(), image + ": " + v.problems());
        OpenedManifest m = home.verifier().open(name, TenantId.DEFAULT);
        assertEquals(3, m.manifest().formatVersion(), image);
        assertEquals(ChunkFormat.V1, m.manifest().chunkFormat(), image);
        long stored = 0;
        for (int i = 0; i < 12; i++) {
          Optional<ChunkName> c = m.manifest().chunk(i);
          byte[] expected = java.util.Arrays.copyOfRange(all, i * 65536, (i + 1) * 65536);
          if (c.isPresent()) {
            byte[] bytes = home.store.chunks().get(c.get()).orElseThrow();
            stored += bytes.length;
            assertArrayEquals(expected, m.decrypt(i, bytes), image + " chunk " + i);
          }
        }
        assertEquals(
            image.startsWith("zipped") ? z.storedBytes() : n.storedBytes(),
            stored,
            image + ": the stored bytes are what the stats say");
      }
    }
  }

  @Test
  void aFailingStorePublishesNothing() throws Exception {
    try (TestHome home =
        new TestHome(dir, FaultyStore.failAfter(new TestHome(dir.resolve("inner")).store, 5))) {
      Path device = TestHome.device(dir.resolve("a.img"), 30, 3);
      IOException e = assertThrows(IOException.class, () -> home.convert(device, "broken:1"));
      assertTrue(e.getMessage().contains("injected"), e.getMessage());
      assertTrue(home.store.manifests().list().isEmpty(), "no manifest after a failed conversion");
    }
  }

  @Test
  void wrongTenantIsRefusedAndTamperedManifestsAreDetected() throws Exception {
    try (TestHome home = new TestHome(dir)) {
      home.convert(TestHome.device(dir.resolve("a.img"), 12, 4), "app:1");
      ImageName name = ImageName.parse("app:1");
      BlockliftException wrongTenant =
          assertThrows(
              BlockliftException.class, () -> home.verifier().open(name, TenantId.of("other")));
      assertTrue(wrongTenant.getMessage().contains("other"), wrongTenant.getMessage());

      byte[] good = home.store.manifests().get(name).orElseThrow();
      Manifest parsed = Manifest.parse(good);
      // a flipped bit in a chunk name (public part) and in the last byte of the sealed part (the
      // MAC after it is gc's, checked by GarbageCollectorTest)
      int publicOffset = good.length - 236;
      for (int offset : new int[] {publicOffset, good.length - 37}) {
        byte[] bad = good.clone();
        bad[offset] ^= 1;
        home.store.manifests().publish(name, bad);
        assertThrows(
            CorruptDataException.class,
            () -> home.verifier().open(name, TenantId.DEFAULT),
            "tampered byte "
                + offset
                + " of "
                + good.length
                + " ("
                + parsed.chunkCount()
                + " chunks)");
      }
    }
  }

  @Test
  void verifyReportsAFlippedBitAndAMissingChunk() throws Exception {
    try (TestHome home = new TestHome(dir)) {
      home.convert(TestHome.device(dir.resolve("a.img"), 12, 5), "app:1");
      ImageName name = ImageName.parse("app:1");
      Manifest m = Manifest.parse(home.store.manifests().get(name).orElseThrow());
      ChunkName first = m.chunk(0).orElseThrow();
      ChunkName second = m.chunk(1).orElseThrow();
      Path file = ((LocalChunkStore) home.store.chunks()).path(first);
      byte[] b = Files.readAllBytes(file);
      b[100] ^= 0x10;
      Files.write(file, b);
      home.store.chunks().delete(second);
      VerifyReport v = home.verifier().verify(name, TenantId.DEFAULT, n -> {});
      assertEquals(2, v.problems().size(), v.problems().toString());
      assertEquals(VerifyReport.Kind.CORRUPT, v.problems().get(0).kind());
      assertEquals(first, v.problems().get(0).chunk());
      assertEquals(VerifyReport.Kind.MISSING, v.problems().get(1).kind());
      assertEquals(second, v.problems().get(1).chunk());
    }
  }

  static long count(ChunkStore s) throws IOException {
    try (Stream<StoredChunk> all = s.list()) {
      return all.count();
    }
  }
}
