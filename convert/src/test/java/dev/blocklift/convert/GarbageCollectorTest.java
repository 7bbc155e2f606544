package dev.blocklift.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.chunk.Manifest;
import dev.blocklift.chunk.TenantId;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ChunkName;
import dev.blocklift.core.ImageName;
import dev.blocklift.store.StoredChunk;
import dev.blocklift.store.local.LocalChunkStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GarbageCollectorTest {
  @TempDir Path dir;

  private static void age(TestHome home, Duration by) throws Exception {
    LocalChunkStore local = (LocalChunkStore) home.store.chunks();
    List<ChunkName> names;
    try (Stream<StoredChunk> s = local.list()) {
      names = s.map(StoredChunk::name).toList();
    }
    for (ChunkName n : names) {
      Files.setLastModifiedTime(local.path(n), FileTime.from(Instant.now().minus(by)));
    }
  }

  @Test
  void sweepsOnlyUnreferencedChunksOlderThanTheGracePeriod() throws Exception {
    try (TestHome home = new TestHome(dir)) {
      home.convert(TestHome.device(dir.resolve("a.img"), 12, 1), "keep:1");
      home.convert(TestHome.device(dir.resolve("b.img"), 12, 2), "drop:1");
      Set<ChunkName> dropped =
          Manifest.parse(home.store.manifests().get(ImageName.parse("drop:1")).orElseThrow())
              .distinctChunks();
      home.store.manifests().delete(ImageName.parse("drop:1"));
      GarbageCollector gc =
          new GarbageCollector(home.store, Clock.systemUTC(), home.secret.manifestMac());

      GcResult young = gc.collect(Duration.ofHours(1), false);
      assertEquals(0, young.swept(), "everything is younger than the grace period");
      assertEquals(dropped.size(), young.young());

      age(home, Duration.ofHours(2));
      GcResult dry = gc.collect(Duration.ofHours(1), true);
      assertEquals(dropped.size(), dry.swept());
      assertEquals(
          dropped.size() + 7L, ConverterTest.count(home.store.chunks()), "dry run deletes nothing");

      GcResult real = gc.collect(Duration.ofHours(1), false);
      assertEquals(dropped.size(), real.swept());
      assertEquals(1, real.manifests());
      for (ChunkName n : dropped) {
        assertTrue(!home.store.chunks().exists(n));
      }
      assertTrue(home.verifier().verify(ImageName.parse("keep:1"), TenantId.DEFAULT, k -> {}).ok());
    }
  }

  @Test
  void anUnreadableManifestStopsGcBeforeItDeletesAnything() throws Exception {
    try (TestHome home = new TestHome(dir)) {
      home.convert(TestHome.device(dir.resolve("a.img"), 6, 1), "a:1");
      home.store.manifests().publish(ImageName.parse("garbage:1"), new byte[] {1, 2, 3});
      age(home, Duration.ofHours(2));
      home.store.manifests().delete(ImageName.parse("a:1"));
      long before = ConverterTest.count(home.store.chunks());
      BlockliftException e =
          assertThrows(
              BlockliftException.class,
              () ->
                  new GarbageCollector(home.store, Clock.systemUTC(), home.secret.manifestMac())
                      .collect(Duration.ZERO, false));
      assertTrue(e.getMessage().contains("garbage:1"), e.getMessage());
      assertEquals(before, ConverterTest.count(home.store.chunks()));
    }
  }

  @Test
  void aFlippedBitInAChunkTableStopsGcBeforeItDeletesAnything() throws Exception {
    try (TestHome home = new TestHome(dir)) {
      home.convert(TestHome.device(dir.resolve("a.img"), 12, 1), "real:1");
      home.convert(TestHome.device(dir.resolve("b.img"), 12, 2), "other:1");
      home.store.manifests().delete(ImageName.parse("other:1")); // its chunks are garbage
      age(home, Duration.ofHours(2));
      ImageName real = ImageName.parse("real:1");
      byte[] good = home.store.manifests().get(real).orElseThrow();
      Manifest m = Manifest.parse(good);
      // Flip a bit of the first chunk name in the table: the real image's chunk would look
      // unreferenced, and be deleted, if gc trusted the public part.
      byte[] name = m.distinctChunks().iterator().next().bytes();
      int firstName = -1;
      for (int i = 0; i + name.length <= good.length && firstName < 0; i++) {
        if (java.util.Arrays.equals(good, i, i + name.length, name, 0, name.length)) {
          firstName = i;
        }
      }
      assertTrue(firstName > 0);
      byte[] bad = good.clone();
      bad[firstName] ^= 1;
      home.store.manifests().publish(real, bad);
      long before = ConverterTest.count(home.store.chunks());
      BlockliftException e =
          assertThrows(
              BlockliftException.class,
              () ->
                  new GarbageCollector(home.store, Clock.systemUTC(), home.secret.manifestMac())
                      .collect(Duration.ofHours(1), false));
      assertTrue(
          e.getMessage().contains("real:1") && e.getMessage().contains("MAC"), e.getMessage());
      assertEquals(before, ConverterTest.count(home.store.chunks()), "nothing deleted");
      home.store.manifests().publish(real, good);
      assertTrue(
          new GarbageCollector(home.store, Clock.systemUTC(), home.secret.manifestMac())
                  .collect(Duration.ofHours(1), false)
                  .swept()
              > 0,
          "with the manifest intact, the other image's chunks go");
      assertTrue(home.verifier().verify(real, TenantId.DEFAULT, k -> {}).ok());
    }
  }

  /**
   * The hard case: a conversion re-uses chunks that are old and unreferenced (their image was
   * deleted) while gc runs in a loop. Whatever the interleaving, the published manifest's chunks
   * must all be there.
   */
  @Test
  void gcRacingAConvertNeverLeavesAPublishedManifestWithMissingChunks() throws Exception {
    TestHome plain = new TestHome(dir);
    Path device = TestHome.device(dir.resolve("a.img"), 60, 7);
    plain.convert(device, "old:1");
    plain.store.manifests().delete(ImageName.parse("old:1"));
    age(plain, Duration.ofHours(3)); // all garbage now, and old enough to collect
    try (TestHome home = new TestHome(dir, FaultyStore.slow(plain.store, 15))) {
      AtomicBoolean done = new AtomicBoolean();
      AtomicInteger runs = new AtomicInteger();
      AtomicInteger swept = new AtomicInteger();
      try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
        Future<?> gcLoop =
            ex.submit(
                () -> {
                  GarbageCollector gc =
                      new GarbageCollector(
                          plain.store, Clock.systemUTC(), plain.secret.manifestMac());
                  while (!done.get()) {
                    swept.addAndGet((int) gc.collect(Duration.ofHours(1), false).swept());
                    runs.incrementAndGet();
                  }
                  return null;
                });
        Path changed = dir.resolve("b.img");
        Files.copy(device, changed);
        TestHome.rewriteChunk(changed, 59, 1234); // one new chunk, the rest re-used
        ConvertResult r = home.convert(changed, "new:1");
        done.set(true);
        gcLoop.get();
        VerifyReport v =
            home.verifier().verify(ImageName.parse("new:1"), TenantId.DEFAULT, k -> {});
        assertTrue(
            v.ok(),
            "after "
                + runs.get()
                + " gc runs sweeping "
                + swept.get()
                + " chunks, "
                + r.stats()
                + ": "
                + v.problems());
        assertTrue(runs.get() > 0);
      }
    }
  }
}
