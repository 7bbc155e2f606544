package dev.blocklift.registry;

import java.io.InterruptedIOException;
import java.time.Duration;

/**
 * How often and how patiently to retry a failed request (5xx, 429, connection reset, timeout):
 * {@code maxAttempts} tries in all, waiting {@code initialBackoff}, doubling up to {@code
 * maxBackoff}, between them.
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {
  public static final RetryPolicy DEFAULT =
      new RetryPolicy(5, Duration.ofMillis(500), Duration.ofSeconds(8));

  public RetryPolicy {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("retry maxAttempts must be >= 1, got " + maxAttempts);
    }
    if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException(
          "retry backoff must be 0 <= initial <= max, got " + initialBackoff + ", " + maxBackoff);
    }
  }

  /** The wait before attempt {@code attempt + 1}, after {@code attempt} (1-based) failures. */
  public Duration backoff(int attempt) {
    Duration d = initialBackoff;
    for (int i = 1; i < attempt && d.compareTo(maxBackoff) < 0; i++) {
      d = d.multipliedBy(2);
    }
    return d.compareTo(maxBackoff) > 0 ? maxBackoff : d;
  }

  void sleepBefore(int nextAttempt) throws InterruptedIOException {
    try {
      Thread.sleep(backoff(nextAttempt - 1));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      InterruptedIOException io = new InterruptedIOException("interrupted while backing off");
      io.initCause(e);
      throw io;
    }
  }
}
