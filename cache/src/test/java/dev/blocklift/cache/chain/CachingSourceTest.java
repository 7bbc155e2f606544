package dev.blocklift.cache.chain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.cache.Chunks;
import dev.blocklift.cache.FetchStats;
import dev.blocklift.cache.tier.DiskTier;
import dev.blocklift.cache.tier.MemoryTier;
import dev.blocklift.core.ChunkName;
import dev.blocklift.core.CorruptChunkException;
import dev.blocklift.store.FakeChunkSource;
import dev.blocklift.store.Gate;
import dev.blocklift.testing.Poll;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CachingSourceTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path tmp;

  private static CachingSource.Options timeout(Duration d) {
    return CachingSource.Options.withTimeout(d);
  }

  @Test
  void aMissIsFetchedVerifiedAndFilled() throws IOException {
    FakeChunkSource store = new FakeChunkSource();
    byte[] c = Chunks.random(1, 10_000);
    ChunkName n = store.add(c);
    MemoryTier mem = new MemoryTier(1 << 20);
    CachingSource src = new CachingSource(mem, store, timeout(Duration.ofSeconds(5)));
    assertArrayEquals(c, src.get(n).orElseThrow());
    assertTrue(mem.exists(n));
    assertArrayEquals(c, src.get(n).orElseThrow());
    assertEquals(1, store.gets(), "the second read is a hit");
    FetchStats f = src.fetchStats();
    assertEquals(1, f.requests());
    assertEquals(1, f.fetches());
    assertEquals(1, f.found());
    assertEquals(10_000, f.bytesFetched());
    assertEquals(1, f.latency().count());
    assertEquals(1, mem.stats().hits());
    assertEquals(1, mem.stats().misses());
  }

  @Test
  void missingIsEmptyAndNotCached() throws IOException {
    FakeChunkSource store = new FakeChunkSource();
    MemoryTier mem = new MemoryTier(1 << 20);
    CachingSource src = new CachingSource(mem, store, timeout(Duration.ofSeconds(5)));
    ChunkName n = Chunks.name(Chunks.random(2, 10));
    assertEquals(Optional.empty(), src.get(n));
    assertFalse(src.exists(n));
    assertEquals(1, src.fetchStats().notFound());
    assertEquals(0, mem.entryCount());
  }

  @Test
  void corruptBytesFromBelowAreNeverServedNorCached() {
    FakeChunkSource store = new FakeChunkSource();
    byte[] c = Chunks.random(3, 10_000);
    ChunkName n = store.add(c);
    store.corruptReads(true);
    MemoryTier mem = new MemoryTier(1 << 20);
    CachingSource src = new CachingSource(mem, store, timeout(Duration.ofSeconds(5)));
    CorruptChunkException e = assertThrows(CorruptChunkException.class, () -> src.get(n));
    assertEquals(n, e.chunkName());
    assertTrue(e.getMessage().contains(store.describe()), e.getMessage());
    assertFalse(mem.exists(n));
    assertEquals(1, src.fetchStats().corrupt());
  }

  @Test
  void aBlockedLowerSourceFailsTheReadWithinTheTimeout() throws Exception {
    FakeChunkSource store = new FakeChunkSource();
    byte[] c = Chunks.random(4, 1000);
    ChunkName n = store.add(c);
    Gate hung = store.hold(); // never opened: the store hangs
    MemoryTier mem = new MemoryTier(1 << 20);
    CachingSource src = new CachingSource(mem, store, timeout(Duration.ofMillis(300)));
    assertTimeoutPreemptively(
        Duration.ofSeconds(10),
        () -> {
          IOException e = assertThrows(IOException.class, () -> src.get(n));
          assertTrue(e.getMessage().contains(n.hex()), e.getMessage());
          assertTrue(e.getMessage().contains("timed out"), e.getMessage());
        });
    assertEquals(1, src.fetchStats().timeouts());
    // The abandoned fetch was interrupted, and once the store recovers reads work again.
    hung.awaitInterrupts(1, WAIT);
    store.gate(Gate.opened());
    assertArrayEquals(c, src.get(n).orElseThrow());
  }

  @Test
  void aHungStoreBehindTheWholeChainFailsInBoundedTime() throws IOException {
    FakeChunkSource store = new FakeChunkSource();
    ChunkName n = store.add(Chunks.random(13, 1000));
    Gate hung = store.hold();
    try (DiskTier disk = DiskTier.open(tmp.resolve("hung"), 1 << 20)) {
      TieredSource chain =
          TieredSource.of(
              List.of(new MemoryTier(1 << 20), disk), store, timeout(Duration.ofMillis(250)));
      assertTimeoutPreemptively(
          Duration.ofSeconds(10),
          () -> {
            for (int i = 0; i < 3; i++) {
              IOException e = assertThrows(IOException.class, () -> chain.get(n));
              assertTrue(e.getMessage().contains("timed out"), e.getMessage());
            }
          });
      assertFalse(disk.exists(n));
    } finally {
      hung.open();
    }
  }

  @Test
  void aFailingLowerSourceFailsTheRead() {
    FakeChunkSource store = new FakeChunkSource();
    ChunkName n = store.add(Chunks.random(5, 100));
    store.failWith(new IOException("connection refused"));
    CachingSource src =
        new CachingSource(new MemoryTier(1 << 20), store, timeout(Duration.ofSeconds(5)));
    IOException e = assertThrows(IOException.class, () -> src.get(n));
    assertTrue(e.getMessage().contains("connection refused"), e.getMessage());
    assertEquals(1, src.fetchStats().failures());
  }

  /** The worker-wide guarantee: many concurrent readers of one missing chunk, one store GET. */
  @Test
  void concurrentMissesThroughTheWholeChainMakeOneStoreRead() throws Exception {
    FakeChunkSource store = new FakeChunkSource();
    SplittableRandom rnd = new SplittableRandom(9);
    List<byte[]> chunks = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      byte[] c = Chunks.random(rnd, 64 * 1024);
      chunks.add(c);
      store.add(c);
    }
    Gate gate = store.hold();
    try (DiskTier disk = DiskTier.open(tmp.resolve("disk"), 64L << 20)) {
      TieredSource chain =
          TieredSource.of(
              List.of(new MemoryTier(32L << 20), disk), store, timeout(Duration.ofSeconds(30)));
      int readers = 400;
      List<Future<byte[]>> results = new ArrayList<>();
      List<Integer> which = new ArrayList<>();
      try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
        for (int r = 0; r < readers; r++) {
          int i = r % chunks.size();
          which.add(i);
          ChunkName n = Chunks.name(chunks.get(i));
          results.add(ex.submit(() -> chain.get(n).orElseThrow()));
        }
        // Every reader is in a flight of the top level (one per chunk, the others joined) and
        // each chunk's one store read is held: only now may the store answer.
        CachingSource top = chain.levels().getFirst();
        Poll.until(
            WAIT,
            "all " + readers + " readers in the top level's flights",
            () -> top.fetchStats().coalesced() == readers - chunks.size());
        gate.awaitHeld(chunks.size(), WAIT);
        gate.open();
        for (int r = 0; r < readers; r++) {
          assertArrayEquals(chunks.get(which.get(r)), results.get(r).get());
        }
      }
      assertEquals(chunks.size(), store.gets(), "one store read per unique chunk");
      chunks.forEach(c -> assertEquals(1, store.gets(Chunks.name(c))));
      for (byte[] c : chunks) {
        assertTrue(disk.exists(Chunks.name(c)));
        assertTrue(chain.tiers().getFirst().exists(Chunks.name(c)));
      }
      String prom = chain.prometheus("blocklift_cache");
      assertTrue(prom.contains("blocklift_cache_hits_total{tier=\"memory\""), prom);
      assertTrue(prom.contains("# TYPE blocklift_cache_fetch_seconds histogram"), prom);
      assertTrue(prom.contains("blocklift_cache_fetch_seconds_count{tier=\"disk"), prom);
      assertEquals(2, chain.fetchStats().size());
      assertEquals(chunks.size(), chain.fetchStats().get(1).fetches());
    }
  }

  @Test
  void aChunkInTheDiskTierFillsMemoryWithoutTouchingTheStore() throws IOException {
    FakeChunkSource store = new FakeChunkSource();
    byte[] c = Chunks.random(11, 5000);
    ChunkName n = Chunks.name(c);
    try (DiskTier disk = DiskTier.open(tmp.resolve("d2"), 1 << 20)) {
      disk.put(n, c);
      MemoryTier mem = new MemoryTier(1 << 20);
      TieredSource chain =
          TieredSource.of(List.of(mem, disk), store, CachingSource.Options.defaults());
      assertArrayEquals(c, chain.get(n).orElseThrow());
      assertTrue(mem.exists(n));
      assertEquals(0, store.gets());
      assertTrue(chain.exists(n));
    }
  }

  @Test
  void aFailingCacheTierDegradesToAMiss() throws IOException {
    FakeChunkSource store = new FakeChunkSource();
    byte[] c = Chunks.random(12, 5000);
    ChunkName n = store.add(c);
    try (DiskTier disk = DiskTier.open(tmp.resolve("bad-disk"), 1 << 20)) {
      disk.put(n, c);
      // The cache file turns into something unreadable: reading it is an I/O error.
      java.nio.file.Files.delete(disk.path(n));
      java.nio.file.Files.createDirectory(disk.path(n));
      CachingSource src = new CachingSource(disk, store, CachingSource.Options.defaults());
      assertArrayEquals(c, src.get(n).orElseThrow());
      assertEquals(1, store.gets());
      assertTrue(src.tierErrors() >= 1);
    }
  }

  @Test
  void boundedFetchConcurrency() throws Exception {
    FakeChunkSource store = new FakeChunkSource();
    List<ChunkName> names = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      names.add(store.add(Chunks.random(100 + i, 100)));
    }
    Gate gate = store.hold();
    ExecutorService loaders = Executors.newVirtualThreadPerTaskExecutor();
    CachingSource src =
        new CachingSource(
            new MemoryTier(1 << 20),
            store,
            new CachingSource.Options(Duration.ofSeconds(30), 3, loaders));
    try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<Optional<byte[]>>> fs = new ArrayList<>();
      for (ChunkName n : names) {
        fs.add(ex.submit(() -> src.get(n)));
      }
      // Three reads reach the store and are held there; the other 17 wait for a slot, so
      // however long the store takes, no fourth read reaches it.
      gate.awaitHeld(3, WAIT);
      Poll.until(WAIT, "all 20 reads in flight", () -> src.inFlight() == names.size());
      assertEquals(3, store.gets(), "at most 3 store reads in flight");
      gate.open();
      for (Future<Optional<byte[]>> f : fs) {
        assertTrue(f.get().isPresent());
      }
    } finally {
      loaders.shutdownNow();
    }
    assertEquals(20, store.gets());
    assertEquals(3, store.maxInFlight());
  }
}
