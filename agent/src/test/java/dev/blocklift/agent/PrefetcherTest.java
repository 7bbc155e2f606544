package dev.blocklift.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.cache.chain.CachingSource;
import dev.blocklift.cache.chain.TieredSource;
import dev.blocklift.cache.sim.TraceRecorder;
import dev.blocklift.cache.tier.MemoryTier;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ChunkName;
import dev.blocklift.store.FakeChunkSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Prefetch from a recorded trace: warms the tiers so a replayed start costs no store GET. */
class PrefetcherTest {
  static final int CHUNK = LazyDeviceTest.CHUNK;

  @TempDir Path tmp;

  @Test
  void aReplayedStartAfterPrefetchCostsNoStoreGet() throws Exception {
    long seed = 4242;
    byte[] img = LazyDeviceTest.image(seed, 30);
    FakeChunkSource src = new FakeChunkSource();
    TestChunks map = new TestChunks("img", img, CHUNK, new byte[32], src);
    StoreCounter store = new StoreCounter(src);
    Path trace = tmp.resolve("start.trace");
    SplittableRandom r = new SplittableRandom(seed);
    long[] offsets = new long[25];
    for (int i = 0; i < offsets.length; i++) {
      offsets[i] = r.nextLong(img.length - 100);
    }
    // First start: record what it reads.
    try (TraceRecorder rec = TraceRecorder.create(trace, "first start");
        ChunkFetcher f = new ChunkFetcher(chain(store), Duration.ofSeconds(10));
        LazyDevice d = new LazyDevice(map, f, 0)) {
      f.recordTrace(rec);
      for (long off : offsets) {
        d.read(off, new byte[100], 0, 100);
      }
    }
    // A name from another image in the trace is skipped, not fetched.
    Files.writeString(
        trace,
        ChunkName.ofCiphertext(new byte[] {1, 2, 3}) + " 77\n",
        java.nio.file.StandardOpenOption.APPEND);
    long firstGets = store.gets();
    assertTrue(firstGets > 0, "seed " + seed);

    StoreCounter store2 = new StoreCounter(src);
    try (ChunkFetcher f = new ChunkFetcher(chain(store2), Duration.ofSeconds(10));
        LazyDevice d = new LazyDevice(map, f, 0)) {
      try (Prefetcher p = Prefetcher.start(f, map, trace, 3)) {
        assertEquals(firstGets, p.planned(), "seed " + seed);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (p.done() + p.failed() < p.planned() && System.nanoTime() < deadline) {
          Thread.sleep(5);
        }
        assertEquals(p.planned(), p.done(), "seed " + seed);
      }
      assertEquals(firstGets, store2.gets(), "prefetch fetched each traced chunk once");
      for (long off : offsets) {
        byte[] buf = new byte[100];
        d.read(off, buf, 0, 100);
        assertArrayEquals(Arrays.copyOfRange(img, (int) off, (int) off + 100), buf, "at " + off);
      }
      assertEquals(firstGets, store2.gets(), "the replayed start was served from the tiers");
    }
  }

  @Test
  void aBadTraceIsRefusedWithItsLine() throws Exception {
    Path trace = tmp.resolve("bad.trace");
    Files.writeString(trace, "# ok\nnot-a-chunk 12\n");
    BlockliftException e =
        assertThrows(BlockliftException.class, () -> Prefetcher.readNames(trace));
    assertTrue(
        e.getMessage().contains("line 2") && e.getMessage().contains("not-a-chunk"),
        e.getMessage());
    BlockliftException missing =
        assertThrows(BlockliftException.class, () -> Prefetcher.readNames(tmp.resolve("nope")));
    assertTrue(missing.getMessage().contains("nope"), missing.getMessage());
    assertEquals(List.of(), Prefetcher.readNames(Files.writeString(tmp.resolve("e"), "\n# x\n")));
  }

  private static TieredSource chain(StoreCounter store) {
    return TieredSource.of(
        List.of(new MemoryTier(64L * CHUNK)),
        store,
        CachingSource.Options.withTimeout(Duration.ofSeconds(10)));
  }
}
