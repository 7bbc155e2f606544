package dev.blocklift.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.ChunkName;
import dev.blocklift.store.FakeChunkSource;
import dev.blocklift.store.Gate;
import dev.blocklift.testing.Poll;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Future;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

class LazyDeviceTest {
  static final int CHUNK = 64 * 1024;
  private static final Duration WAIT = Duration.ofSeconds(30);

  /** An image with data chunks, hole chunks and a short last chunk. */
  static byte[] image(long seed, int chunks) {
    SplittableRandom r = new SplittableRandom(seed);
    byte[] img = new byte[chunks * CHUNK - 1000];
    for (int c = 0; c < chunks; c++) {
      if (c % 3 == 1) {
        continue; // hole
      }
      int from = c * CHUNK;
      int to = Math.min(img.length, from + CHUNK);
      for (int i = from; i < to; i++) {
        img[i] = (byte) r.nextInt(256);
      }
    }
    return img;
  }

  @RepeatedTest(5)
  void randomReadsEqualTheImage(RepetitionInfo info) throws IOException {
    long seed = 1000L + info.getCurrentRepetition();
    byte[] img = image(seed, 10);
    FakeChunkSource src = new FakeChunkSource();
    TestChunks map = new TestChunks("img", img, CHUNK, new byte[32], src);
    try (ChunkFetcher f = new ChunkFetcher(src, Duration.ofSeconds(10));
        LazyDevice d = new LazyDevice(map, f, 2)) {
      SplittableRandom r = new SplittableRandom(seed);
      for (int i = 0; i < 300; i++) {
        long off = r.nextLong(img.length);
        int len = (int) Math.min(img.length - off, r.nextInt(3 * CHUNK));
        byte[] got = new byte[len];
        d.read(off, got, 0, len);
        assertArrayEquals(
            Arrays.copyOfRange(img, (int) off, (int) off + len),
            got,
            "seed " + seed + " read @" + off + "+" + len);
      }
      assertTrue(f.metrics().fetches() >= map.storedNames().size(), "seed " + seed);
    }
  }

  @Test
  void holesReadAsZerosWithoutAFetch() throws IOException {
    byte[] img = image(7, 6);
    FakeChunkSource src = new FakeChunkSource();
    TestChunks map = new TestChunks("img", img, CHUNK, new byte[32], src);
    try (ChunkFetcher f = new ChunkFetcher(src, Duration.ofSeconds(10));
        LazyDevice d = new LazyDevice(map, f, 0)) {
      byte[] got = new byte[CHUNK];
      d.read(CHUNK, got, 0, CHUNK); // chunk 1 is a hole
      assertArrayEquals(new byte[CHUNK], got);
      assertEquals(0, src.gets());
    }
  }

  @Test
  void corruptChunkFailsTheReadNeverWrongBytes() throws IOException {
    byte[] img = image(8, 3);
    FakeChunkSource src = new FakeChunkSource();
    TestChunks map = new TestChunks("img", img, CHUNK, new byte[32], src);
    src.corruptReads(true);
    try (ChunkFetcher f = new ChunkFetcher(src, Duration.ofSeconds(10));
        LazyDevice d = new LazyDevice(map, f, 4)) {
      IOException e = assertThrows(IOException.class, () -> d.read(10, new byte[100], 0, 100));
      assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
      // Once the store is healthy again, the same read succeeds (nothing bad was cached).
      src.corruptReads(false);
      byte[] got = new byte[100];
      d.read(10, got, 0, 100);
      assertArrayEquals(Arrays.copyOfRange(img, 10, 110), got);
    }
  }

  @Test
  void aWrongKeyIsCaughtByTheTag() throws IOException {
    byte[] img = image(9, 2);
    FakeChunkSource src = new FakeChunkSource();
    TestChunks good = new TestChunks("img", img, CHUNK, new byte[32], src);
    byte[] otherSalt = new byte[32];
    otherSalt[0] = 1;
    // A map whose names are right but whose keys come from another salt: GCM must refuse.
    ChunkMap wrongKeys =
        new ChunkMap() {
          final TestChunks other =
              new TestChunks("x", img, CHUNK, otherSalt, new FakeChunkSource());

          @Override
          public int chunkSize() {
            return CHUNK;
          }

          @Override
          public long deviceSize() {
            return img.length;
          }

          @Override
          public java.util.Optional<dev.blocklift.core.ChunkName> chunk(int index) {
            return good.chunk(index);
          }

          @Override
          public byte[] decrypt(int index, byte[] ciphertext) {
            return other.decryptUnverified(index, ciphertext);
          }

          @Override
          public String describe() {
            return "wrong-keys";
          }
        };
    try (ChunkFetcher f = new ChunkFetcher(src, Duration.ofSeconds(10));
        LazyDevice d = new LazyDevice(wrongKeys, f, 4)) {
      assertThrows(IOException.class, () -> d.read(0, new byte[10], 0, 10));
    }
  }

  @Test
  void missingChunkFailsTheRead() throws IOException {
    byte[] img = image(10, 3);
    FakeChunkSource src = new FakeChunkSource();
    TestChunks map = new TestChunks("img", img, CHUNK, new byte[32], src);
    src.clear();
    try (ChunkFetcher f = new ChunkFetcher(src, Duration.ofSeconds(10));
        LazyDevice d = new LazyDevice(map, f, 4)) {
      IOException e = assertThrows(IOException.class, () -> d.read(0, new byte[10], 0, 10));
      assertTrue(e.getMessage().contains("missing"), e.getMessage());
    }
  }

  @Test
  void blockingStoreFailsWithinTheTimeoutAndOthersStillServe() throws Exception {
    byte[] img = image(11, 4);
    FakeChunkSource src = new FakeChunkSource();
    TestChunks map = new TestChunks("img", img, CHUNK, new byte[32], src);
    try (ChunkFetcher f = new ChunkFetcher(src, Duration.ofMillis(300));
        LazyDevice d = new LazyDevice(map, f, 4)) {
      byte[] warm = new byte[10];
      d.read(0, warm, 0, 10); // chunk 0 now in the plaintext cache
      Gate gate = src.hold();
      long start = System.nanoTime();
      IOException e =
          assertThrows(IOException.class, () -> d.read(2L * CHUNK, new byte[10], 0, 10));
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertTrue(ms < 5_000, "took " + ms + " ms");
      assertTrue(e.getMessage().contains("within"), e.getMessage());
      assertEquals(1, f.metrics().timeouts());
      // Everything already held keeps being served.
      d.read(0, warm, 0, 10);
      assertArrayEquals(Arrays.copyOfRange(img, 0, 10), warm);
      gate.open();
      byte[] got = new byte[10];
      d.read(2L * CHUNK, got, 0, 10);
      assertArrayEquals(Arrays.copyOfRange(img, 2 * CHUNK, 2 * CHUNK + 10), got);
    }
  }

  @Test
  void concurrentMissesOnOneChunkShareOneFetchAcrossDevices() throws Exception {
    byte[] img = image(12, 3);
    FakeChunkSource src = new FakeChunkSource();
    TestChunks map = new TestChunks("img", img, CHUNK, new byte[32], src);
    Gate gate = src.hold();
    int readers = 32;
    try (ChunkFetcher f = new ChunkFetcher(src, Duration.ofSeconds(30));
        LazyDevice a = new LazyDevice(map, f, 4);
        LazyDevice b = new LazyDevice(map, f, 4);
        var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<byte[]>> results = new ArrayList<>();
      for (int i = 0; i < readers; i++) {
        LazyDevice d = (i % 2 == 0) ? a : b;
        int off = 100 + i;
        results.add(
            pool.submit(
                () -> {
                  byte[] buf = new byte[50];
                  d.read(off, buf, 0, 50);
                  return buf;
                }));
      }
      // One GET is held at the store; each device's decryption has asked the fetcher for the
      // chunk (the second joined the first's fetch); every reader waits in its device's
      // decryption. Only now does the store answer.
      gate.awaitHeld(1, WAIT);
      Poll.until(WAIT, "the second device's decryption joined the fetch", () -> f.joined() == 1);
      Poll.until(
          WAIT,
          "every reader waits for its device's decryption",
          () -> a.decryptionsJoined() + b.decryptionsJoined() == readers - 2);
      gate.open();
      for (int i = 0; i < readers; i++) {
        assertArrayEquals(
            Arrays.copyOfRange(img, 100 + i, 150 + i), results.get(i).get(), "reader " + i);
      }
      assertEquals(1, src.gets(), "store GETs for one chunk read by " + readers + " readers");
      assertEquals(1, f.metrics().fetches());
    }
  }

  /**
   * Fails against the former copy in LazyDevice, where the first reader of a chunk decrypted it on
   * its own thread: interrupting that reader (a FUSE request cancelled, a run stopped) failed every
   * reader that had joined it.
   */
  @Test
  void anInterruptedReaderDoesNotFailTheReadersThatJoinedIt() throws Exception {
    byte[] img = dense(13, 2);
    FakeChunkSource src = new FakeChunkSource();
    TestChunks map = new TestChunks("img", img, CHUNK, new byte[32], src);
    Gate gate = src.hold();
    try (ChunkFetcher f = new ChunkFetcher(src, Duration.ofSeconds(30));
        LazyDevice d = new LazyDevice(map, f, 4, 0, Runnable::run);
        var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
      java.util.concurrent.atomic.AtomicReference<Throwable> firstOutcome =
          new java.util.concurrent.atomic.AtomicReference<>();
      Thread first =
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      d.read(0, new byte[10], 0, 10);
                    } catch (IOException | RuntimeException e) {
                      firstOutcome.set(e);
                    }
                  });
      gate.awaitHeld(1, WAIT);
      Future<byte[]> second =
          pool.submit(
              () -> {
                byte[] buf = new byte[10];
                d.read(10, buf, 0, 10);
                return buf;
              });
      // The second reader waits (for the first one's decryption) and has asked the store nothing.
      Poll.until(WAIT, "the second reader joined the first", () -> d.decryptionsJoined() == 1);
      first.interrupt();
      assertTrue(first.join(WAIT), "the interrupted reader returned");
      assertTrue(firstOutcome.get() instanceof IOException, "" + firstOutcome.get());
      gate.open();
      assertArrayEquals(Arrays.copyOfRange(img, 10, 20), second.get());
    }
    assertEquals(0, gate.interrupts(), "the fetch went on for the reader still waiting");
    assertEquals(1, src.gets());
  }

  @Test
  void aReadRightAfterAFailedOneFetchesAgain() throws Exception {
    byte[] img = dense(14, 2);
    FakeChunkSource src = new FakeChunkSource();
    TestChunks map = new TestChunks("img", img, CHUNK, new byte[32], src);
    try (ChunkFetcher f = new ChunkFetcher(src, Duration.ofSeconds(10));
        LazyDevice d = new LazyDevice(map, f, 4, 0, Runnable::run)) {
      src.failWith(new IOException("store down"));
      IOException e = assertThrows(IOException.class, () -> d.read(0, new byte[10], 0, 10));
      assertTrue(e.getMessage().contains("store down"), e.getMessage());
      src.failWith(null);
      byte[] got = new byte[10];
      d.read(0, got, 0, 10);
      assertArrayEquals(Arrays.copyOfRange(img, 0, 10), got);
      assertEquals(2, src.gets());
    }
  }

  /** An image of {@code chunks} full data chunks (no holes), so every chunk is one fetch. */
  static byte[] dense(long seed, int chunks) {
    SplittableRandom r = new SplittableRandom(seed);
    byte[] img = new byte[chunks * CHUNK];
    for (int i = 0; i < img.length; i++) {
      img[i] = (byte) (1 + r.nextInt(255));
    }
    return img;
  }

  @Test
  void aSequentialReaderIsServedAheadAndEachChunkIsFetchedOnce() throws IOException {
    byte[] img = dense(20, 16);
    FakeChunkSource src = new FakeChunkSource();
    TestChunks map = new TestChunks("img", img, CHUNK, new byte[32], src);
    // Runnable::run: readahead runs inside the read, so the counts below are exact.
    try (ChunkFetcher f = new ChunkFetcher(src, Duration.ofSeconds(10));
        LazyDevice d = new LazyDevice(map, f, 8, 4, Runnable::run)) {
      byte[] got = new byte[img.length];
      int step = 4096;
      for (int off = 0; off < 3 * CHUNK; off += step) {
        d.read(off, got, off, step);
      }
      // Chunks 0..2 read, and the streak asked for 3..6 ahead.
      assertEquals(7, src.gets());
      int before = src.gets();
      for (int off = 3 * CHUNK; off < 5 * CHUNK; off += step) {
        d.read(off, got, off, step);
      }
      assertTrue(src.gets() <= before + 2, "chunks 3, 4 were read ahead: " + src.gets());
      for (int off = 5 * CHUNK; off < img.length; off += step) {
        d.read(off, got, off, step);
      }
      assertArrayEquals(img, got);
      assertEquals(16, src.gets(), "every chunk fetched exactly once");
    }
  }

  @RepeatedTest(3)
  void randomReadsFetchOnlyTheChunksTheyTouch(RepetitionInfo info) throws IOException {
    long seed = 2000L + info.getCurrentRepetition();
    int chunks = 64;
    byte[] img = dense(seed, chunks);
    FakeChunkSource src = new FakeChunkSource();
    TestChunks map = new TestChunks("img", img, CHUNK, new byte[32], src);
    SplittableRandom r = new SplittableRandom(seed);
    java.util.Set<Integer> touched = new java.util.HashSet<>();
    try (ChunkFetcher f = new ChunkFetcher(src, Duration.ofSeconds(10));
        LazyDevice d = new LazyDevice(map, f, chunks, 4, Runnable::run)) {
      int last = -10;
      for (int i = 0; i < 40; i++) {
        int c;
        do {
          c = r.nextInt(chunks);
        } while (Math.abs(c - last) < 2);
        last = c;
        touched.add(c);
        long off = (long) c * CHUNK + r.nextInt(CHUNK - 4096);
        byte[] got = new byte[4096];
        d.read(off, got, 0, got.length);
        assertArrayEquals(
            Arrays.copyOfRange(img, (int) off, (int) off + 4096), got, "seed " + seed);
      }
      assertEquals(touched.size(), src.gets(), "seed " + seed + ": fetched beyond reads");
    }
  }

  @Test
  void aFailedReadaheadCachesNothing() throws IOException {
    byte[] img = dense(21, 8);
    FakeChunkSource src = new FakeChunkSource();
    TestChunks map = new TestChunks("img", img, CHUNK, new byte[32], src);
    Map<ChunkName, byte[]> away = new HashMap<>();
    for (int c = 3; c < 7; c++) {
      ChunkName n = map.chunk(c).orElseThrow();
      away.put(n, src.remove(n));
    }
    try (ChunkFetcher f = new ChunkFetcher(src, Duration.ofSeconds(10));
        LazyDevice d = new LazyDevice(map, f, 8, 4, Runnable::run)) {
      byte[] got = new byte[img.length];
      for (int c = 0; c < 3; c++) {
        d.read((long) c * CHUNK, got, c * CHUNK, 10); // the third asks for 3..6: all missing
      }
      assertEquals(3 + 4, src.gets(), "readahead tried chunks 3..6");
      away.forEach(src::put);
      d.read(0, got, 0, img.length);
      assertArrayEquals(img, got);
    }
  }

  @Test
  void closingStopsTheReadahead() throws IOException {
    byte[] img = dense(22, 8);
    FakeChunkSource src = new FakeChunkSource();
    TestChunks map = new TestChunks("img", img, CHUNK, new byte[32], src);
    try (ChunkFetcher f = new ChunkFetcher(src, Duration.ofSeconds(10))) {
      LazyDevice d = new LazyDevice(map, f, 8, 4, Runnable::run);
      d.close();
      d.read(0, new byte[3 * CHUNK], 0, 3 * CHUNK);
      assertEquals(3, src.gets(), "only what was read");
    }
  }

  @Test
  void aReadaheadLargerThanHalfThePlaintextCacheIsRefused() {
    FakeChunkSource src = new FakeChunkSource();
    TestChunks map = new TestChunks("img", dense(23, 2), CHUNK, new byte[32], src);
    try (ChunkFetcher f = new ChunkFetcher(src, Duration.ofSeconds(10))) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> new LazyDevice(map, f, 8, 5, Runnable::run));
      assertTrue(e.getMessage().contains("got 5"), e.getMessage());
    }
  }
}
