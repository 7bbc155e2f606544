package dev.blocklift.agent;

import java.time.Duration;
import java.time.Instant;
import java.util.OptionalDouble;

/**
 * The launcher's start time ({@code BLOCKLIFT_LAUNCHED_AT}: bash's {@code $EPOCHREALTIME}, seconds
 * with µs) as the zero of a run's phase times, whether the run is in-process or in the worker.
 */
public final class RunClock {
  private RunClock() {}

  /** Seconds from {@code launchedAt} to {@code now}, if {@code launchedAt} is a plausible stamp. */
  public static OptionalDouble secondsSince(String launchedAt, Instant now) {
    if (launchedAt == null || !launchedAt.matches("\\d{1,12}([.,]\\d{1,9})?")) {
      return OptionalDouble.empty();
    }
    String[] parts = launchedAt.split("[.,]");
    long nanos = parts.length == 1 ? 0 : Long.parseLong((parts[1] + "000000000").substring(0, 9));
    Instant started = Instant.ofEpochSecond(Long.parseLong(parts[0]), nanos);
    double s = Duration.between(started, now).toNanos() / 1e9;
    return s >= 0 && s < 3600 ? OptionalDouble.of(s) : OptionalDouble.empty();
  }
}
