package dev.blocklift.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.blocklift.cache.chain.CachingSource;
import dev.blocklift.cache.chain.TieredSource;
import dev.blocklift.cache.sim.Trace;
import dev.blocklift.cache.sim.TraceFormat;
import dev.blocklift.cache.sim.TraceRecorder;
import dev.blocklift.cache.tier.MemoryTier;
import dev.blocklift.store.FakeChunkSource;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the worker counts and records: store GETs measured at the store (one per unique chunk,
 * however many devices and readers race), and the chunk-access trace the fetcher writes, which the
 * cache simulator reads back.
 */
class FetchAccountingTest {
  static final int CHUNK = LazyDeviceTest.CHUNK;

  @TempDir Path tmp;

  @RepeatedTest(3)
  void concurrentRandomReadersCostOneStoreGetPerChunkAndEveryReadIsTraced(RepetitionInfo rep)
      throws Exception {
    long seed = 9000L + rep.getCurrentRepetition();
    byte[] img = LazyDeviceTest.image(seed, 24);
    FakeChunkSource src = new FakeChunkSource();
    TestChunks map = new TestChunks("img", img, CHUNK, new byte[32], src);
    StoreCounter store = new StoreCounter(src);
    TieredSource chain =
        TieredSource.of(
            List.of(new MemoryTier(64L * CHUNK)),
            store,
            CachingSource.Options.withTimeout(Duration.ofSeconds(30)));
    Path traceFile = tmp.resolve("reads.trace");
    int readers = 20;
    int readsEach = 40;
    Set<Integer> chunksRead = java.util.concurrent.ConcurrentHashMap.newKeySet();
    try (TraceRecorder trace = TraceRecorder.create(traceFile, "test seed " + seed);
        ChunkFetcher f = new ChunkFetcher(chain, Duration.ofSeconds(30));
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      f.recordTrace(trace);
      List<LazyDevice> devices = new ArrayList<>();
      for (int d = 0; d < readers; d++) {
        // No plaintext cache: every read of a data chunk is one read through the fetcher.
        devices.add(new LazyDevice(map, f, 0));
      }
      List<Future<?>> done = new ArrayList<>();
      for (int d = 0; d < readers; d++) {
        LazyDevice dev = devices.get(d);
        SplittableRandom r = new SplittableRandom(seed * 31 + d);
        done.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < readsEach; i++) {
                    int len = 1 + r.nextInt(4096);
                    long off = r.nextLong(img.length - len);
                    // Within one chunk, so each read is exactly one chunk access.
                    off = Math.min(off, (off / CHUNK + 1) * CHUNK - len);
                    byte[] buf = new byte[len];
                    dev.read(off, buf, 0, len);
                    assertArrayEquals(
                        Arrays.copyOfRange(img, (int) off, (int) off + len),
                        buf,
                        "seed " + seed + " offset " + off);
                    chunksRead.add((int) (off / CHUNK));
                  }
                  return null;
                }));
      }
      for (Future<?> x : done) {
        x.get();
      }
      f.recordTrace(null);
      for (LazyDevice dev : devices) {
        dev.close();
      }
      Set<Object> uniqueNames = new HashSet<>();
      for (int c : chunksRead) {
        map.chunk(c).ifPresent(uniqueNames::add);
      }
      assertEquals(uniqueNames.size(), store.distinctChunks(), "seed " + seed);
      assertEquals(store.distinctChunks(), store.gets(), "GETs per unique chunk, seed " + seed);
      assertEquals(f.metrics().reads(), trace.accesses(), "seed " + seed);
      long expectedBytes = 0;
      for (Object n : uniqueNames) {
        expectedBytes += src.chunks().get((dev.blocklift.core.ChunkName) n).length;
      }
      assertEquals(expectedBytes, store.bytes(), "seed " + seed);
    }
    Trace t = TraceFormat.read(traceFile);
    assertEquals(store.distinctChunks(), t.uniqueKeys(), "seed " + seed);
    assertEquals(
        t.length() - t.uniqueKeys(),
        dev.blocklift.cache.sim.Simulator.simulate(t, "lru", t.uniqueBytes(), "all").hits(),
        "a cache holding every chunk misses each chunk once, seed " + seed);
  }
}
