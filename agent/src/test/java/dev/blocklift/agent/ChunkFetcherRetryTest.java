package dev.blocklift.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.ChunkName;
import dev.blocklift.store.FakeChunkSource;
import dev.blocklift.store.Gate;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A chunk whose fetch failed or timed out fails its next reads at once for {@code retry-after} (the
 * kernel's retries of a failed block must not each wait out the fetch timeout), and is fetched
 * again after it.
 */
class ChunkFetcherRetryTest {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);

  @Test
  void aFailedChunkFailsAtOnceUntilItsRetryTime() throws Exception {
    FakeChunkSource src = new FakeChunkSource("flaky");
    ChunkName name = src.add("ciphertext bytes".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    src.failWith(new IOException("store unreachable"));
    try (ChunkFetcher f =
        new ChunkFetcher(
            src, Duration.ofSeconds(10), Duration.ofSeconds(5), new FetchMetrics(), now::get)) {
      IOException first = assertThrows(IOException.class, () -> f.fetch(name, "img"));
      assertTrue(first.getMessage().contains("store unreachable"), first.getMessage());
      assertEquals(1, src.gets());
      src.failWith(null);
      IOException again = assertThrows(IOException.class, () -> f.fetch(name, "img"));
      assertTrue(again.getMessage().contains("retried in"), again.getMessage());
      assertEquals(1, src.gets(), "not asked of the store again");
      now.addAndGet(Duration.ofSeconds(5).toNanos());
      assertArrayEquals(src.chunks().get(name), f.fetch(name, "img"));
      assertEquals(2, src.gets());
    }
  }

  @Test
  void aTimedOutChunkCostsOneTimeoutNotOnePerRetry() throws Exception {
    FakeChunkSource src = new FakeChunkSource("stalled");
    ChunkName name = src.add(new byte[] {1, 2, 3});
    Gate stall = src.hold();
    try (ChunkFetcher f =
        new ChunkFetcher(
            src, Duration.ofMillis(200), Duration.ofSeconds(30), new FetchMetrics(), now::get)) {
      IOException timedOut = assertThrows(IOException.class, () -> f.fetch(name, "img"));
      assertTrue(timedOut.getMessage().contains("within"), timedOut.getMessage());
      for (int retry = 0; retry < 5; retry++) {
        IOException e = assertThrows(IOException.class, () -> f.fetch(name, "img"));
        assertTrue(e.getMessage().contains("retried in"), e.getMessage());
      }
      assertEquals(1, src.gets(), "the retries never reached the stalled store");
      stall.open();
    }
  }

  @Test
  void zeroMeansAlwaysRetry() throws Exception {
    FakeChunkSource src = new FakeChunkSource("flaky");
    ChunkName name = src.add(new byte[] {9});
    src.failWith(new IOException("down"));
    try (ChunkFetcher f =
        new ChunkFetcher(
            src, Duration.ofSeconds(10), Duration.ZERO, new FetchMetrics(), now::get)) {
      assertThrows(IOException.class, () -> f.fetch(name, "img"));
      src.failWith(null);
      assertArrayEquals(new byte[] {9}, f.fetch(name, "img"));
    }
  }
}
