package dev.blocklift.cache.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class SingleFlightTest {
  private final ExecutorService loaders = Executors.newVirtualThreadPerTaskExecutor();

  @AfterEach
  void stop() {
    loaders.shutdownNow();
  }

  @Test
  void concurrentCallersShareOneLoad() throws Exception {
    SingleFlight<String, String> sf = new SingleFlight<>(loaders);
    AtomicInteger loads = new AtomicInteger();
    CountDownLatch release = new CountDownLatch(1);
    int callers = 1000;
    List<Future<String>> results = new ArrayList<>();
    try (ExecutorService callersEx = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < callers; i++) {
        results.add(
            callersEx.submit(
                () ->
                    sf.get(
                        "chunk",
                        Duration.ofSeconds(30),
                        () -> {
                          loads.incrementAndGet();
                          try {
                            release.await();
                          } catch (InterruptedException e) {
                            throw new java.io.InterruptedIOException();
                          }
                          return "bytes";
                        })));
      }
      // Wait until everyone has joined the one flight, then let the load finish.
      while (sf.loads() + sf.joins() < callers) {
        Thread.sleep(5);
      }
      release.countDown();
      for (Future<String> f : results) {
        assertEquals("bytes", f.get());
      }
    }
    assertEquals(1, loads.get());
    assertEquals(1, sf.loads());
    assertEquals(callers - 1, sf.joins());
    assertEquals(0, sf.inFlight());
  }

  @Test
  void aStuckLoadTimesOutAndIsCancelled() {
    SingleFlight<String, String> sf = new SingleFlight<>(loaders);
    CountDownLatch interrupted = new CountDownLatch(1);
    assertTimeoutPreemptively(
        Duration.ofSeconds(10),
        () -> {
          IOException e =
              assertThrows(
                  IOException.class,
                  () ->
                      sf.get(
                          "k",
                          Duration.ofMillis(200),
                          () -> {
                            try {
                              new CountDownLatch(1).await(); // never released
                            } catch (InterruptedException ie) {
                              interrupted.countDown();
                            }
                            throw new IOException("cancelled");
                          }));
          assertTrue(e.getMessage().contains("timed out after 200 ms"), e.getMessage());
          assertTrue(e.getMessage().contains("k"), e.getMessage());
          interrupted.await();
        });
    assertEquals(1, sf.timeouts());
    assertEquals(1, sf.cancellations());
    assertEquals(0, sf.inFlight());
  }

  @Test
  void aNewCallAfterAnAbandonedLoadStartsAfresh() throws IOException {
    SingleFlight<String, String> sf = new SingleFlight<>(loaders);
    assertThrows(
        IOException.class,
        () ->
            sf.get(
                "k",
                Duration.ofMillis(50),
                () -> {
                  try {
                    Thread.sleep(60_000);
                  } catch (InterruptedException e) {
                    throw new java.io.InterruptedIOException();
                  }
                  return "late";
                }));
    assertEquals("fresh", sf.get("k", Duration.ofSeconds(5), () -> "fresh"));
    assertEquals(2, sf.loads());
  }

  @Test
  void failuresReachEveryWaiter() {
    SingleFlight<String, String> sf = new SingleFlight<>(loaders);
    IOException io =
        assertThrows(
            IOException.class,
            () ->
                sf.get(
                    "k",
                    Duration.ofSeconds(5),
                    () -> {
                      throw new IOException("store down");
                    }));
    assertEquals("store down", io.getMessage());
    assertEquals("store down", io.getCause().getMessage());
    IllegalStateException bug = new IllegalStateException("bug");
    IllegalStateException thrown =
        assertThrows(
            IllegalStateException.class,
            () ->
                sf.get(
                    "k",
                    Duration.ofSeconds(5),
                    () -> {
                      throw bug;
                    }));
    assertSame(bug, thrown);
  }

  @RepeatedTest(300)
  void aRetryRightAfterAFailureStartsAFreshLoad() throws Exception {
    SingleFlight<String, String> sf = new SingleFlight<>(loaders);
    IOException first =
        assertThrows(
            IOException.class,
            () ->
                sf.get(
                    "k",
                    Duration.ofSeconds(10),
                    () -> {
                      throw new IOException("store down");
                    }));
    assertTrue(first.getMessage().contains("store down"), first.getMessage());
    // The failed flight must already be gone: this retry runs its own loader.
    assertEquals("fresh", sf.get("k", Duration.ofSeconds(10), () -> "fresh"));
  }
}
