package dev.blocklift.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Waits for a condition another thread makes true, with a deadline: what tests use instead of a
 * fixed sleep when no latch or gate can say the moment (a counter in the code under test, a
 * thread's state, a file appearing).
 */
public final class Poll {
  private static final Duration STEP = Duration.ofMillis(2);

  private Poll() {}

  /**
   * Returns once {@code condition} holds.
   *
   * @param what the condition in words, for the failure message
   * @throws AssertionError if it does not hold within {@code timeout}
   */
  public static void until(Duration timeout, String what, BooleanSupplier condition)
      throws InterruptedException {
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("poll timeout must be positive, got " + timeout);
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline >= 0) {
        throw new AssertionError("not within " + timeout + ": " + what);
      }
      Thread.sleep(STEP);
    }
  }

  /** Whether {@code t} is parked or waiting (blocked in a lock, a future, a latch or a sleep). */
  public static boolean isWaiting(Thread t) {
    Thread.State s = t.getState();
    return s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING;
  }
}
