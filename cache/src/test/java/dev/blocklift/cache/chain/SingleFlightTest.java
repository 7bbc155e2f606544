package dev.blocklift.cache.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.testing.Poll;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class SingleFlightTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
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
      Poll.until(WAIT, "all callers in the one flight", () -> sf.loads() + sf.joins() == callers);
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
                    new CountDownLatch(1).await(); // never released
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

  /**
   * The ordering the former copies (FleetSource's store reads, LazyDevice's decryptions) got wrong:
   * they published the outcome and only then left the in-flight map. Here a waiter that has the
   * outcome always finds the flight gone, so its retry (or anyone's next call) loads afresh.
   */
  @Test
  void everyWaiterThatHasTheOutcomeFindsTheFlightGone() throws Exception {
    SingleFlight<String, String> sf = new SingleFlight<>(loaders);
    CountDownLatch release = new CountDownLatch(1);
    int callers = 50;
    List<Future<Boolean>> goneWhenSeen = new ArrayList<>();
    try (ExecutorService callersEx = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < callers; i++) {
        goneWhenSeen.add(
            callersEx.submit(
                () -> {
                  assertThrows(
                      IOException.class,
                      () ->
                          sf.get(
                              "k",
                              WAIT,
                              () -> {
                                awaitOrFail(release);
                                throw new IOException("store down");
                              }));
                  return !sf.isInFlight("k");
                }));
      }
      Poll.until(WAIT, "all callers in the one flight", () -> sf.joins() == callers - 1);
      release.countDown();
      for (Future<Boolean> f : goneWhenSeen) {
        assertTrue(f.get(), "a waiter saw the failure while its flight was still joinable");
      }
    }
    assertEquals("fresh", sf.get("k", WAIT, () -> "fresh"));
    assertEquals(2, sf.loads());
  }

  /**
   * The other fault of the former copies: the first caller ran the load on its own thread, so its
   * interrupt (or timeout) failed everyone who had joined it. Here a waiter that leaves takes
   * nothing from the others, and the load is not interrupted while someone still waits.
   */
  @Test
  void aWaiterThatLeavesDoesNotFailTheOthers() throws Exception {
    SingleFlight<String, String> sf = new SingleFlight<>(loaders);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger loaderInterrupts = new AtomicInteger();
    SingleFlight.Loader<String> load =
        () -> {
          try {
            release.await();
          } catch (InterruptedException e) {
            loaderInterrupts.incrementAndGet();
            throw new InterruptedIOException("loader interrupted");
          }
          return "bytes";
        };
    AtomicReference<Throwable> firstOutcome = new AtomicReference<>();
    Thread first =
        Thread.ofVirtual()
            .start(
                () -> {
                  try {
                    sf.get("k", WAIT, load);
                  } catch (IOException | RuntimeException e) {
                    firstOutcome.set(e);
                  }
                });
    Poll.until(WAIT, "the first caller's load started", () -> sf.loads() == 1);
    try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
      Future<String> second = ex.submit(() -> sf.get("k", WAIT, load));
      Poll.until(WAIT, "the second caller joined", () -> sf.joins() == 1);
      first.interrupt();
      assertTrue(first.join(WAIT), "the interrupted caller returned");
      assertTrue(firstOutcome.get() instanceof InterruptedIOException, "" + firstOutcome.get());
      assertTrue(sf.isInFlight("k"), "the load goes on for the caller still waiting");
      release.countDown();
      assertEquals("bytes", second.get());
    }
    assertEquals(0, loaderInterrupts.get());
    assertEquals(0, sf.cancellations());
    assertEquals(1, sf.loads());
  }

  private static void awaitOrFail(CountDownLatch latch) throws InterruptedIOException {
    try {
      latch.await();
    } catch (InterruptedException e) {
      throw new InterruptedIOException("interrupted waiting for the test");
    }
  }
}
