package dev.blocklift.core;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A non-negative span of time as written on the command line and in config: {@code 500ms}, {@code
 * 30s}, {@code 2m}, {@code 1h}, {@code 1d}, {@code 0}, or ISO-8601 such as {@code PT30S}. {@link
 * #toString()} gives the canonical short form (the largest unit that divides it: {@code 90s} is
 * {@code 90s}, {@code 120s} is {@code 2m}), which parses back to the same value.
 */
public record TimeSpan(Duration duration) implements Comparable<TimeSpan> {
  private static final Pattern SHORT =
      Pattern.compile("(\\d{1,18})\\s*(ms|s|m|h|d)", Pattern.CASE_INSENSITIVE);

  public static final TimeSpan ZERO = new TimeSpan(Duration.ZERO);

  public TimeSpan {
    if (duration.isNegative()) {
      throw new IllegalArgumentException("a time span must not be negative, got " + duration);
    }
  }

  public static TimeSpan of(Duration duration) {
    return new TimeSpan(duration);
  }

  public static TimeSpan ofMillis(long millis) {
    return new TimeSpan(Duration.ofMillis(millis));
  }

  public static TimeSpan ofSeconds(long seconds) {
    return new TimeSpan(Duration.ofSeconds(seconds));
  }

  /** Parses the short form or ISO-8601; the error message echoes {@code text}. */
  public static TimeSpan parse(String text) {
    String t = text.strip();
    try {
      if (t.equals("0")) {
        return ZERO;
      }
      if (t.startsWith("P") || t.startsWith("p")) {
        return new TimeSpan(Duration.parse(t.toUpperCase(Locale.ROOT)));
      }
      Matcher m = SHORT.matcher(t);
      if (m.matches()) {
        long n = Long.parseLong(m.group(1));
        Duration d =
            switch (m.group(2).toLowerCase(Locale.ROOT)) {
              case "ms" -> Duration.ofMillis(n);
              case "s" -> Duration.ofSeconds(n);
              case "m" -> Duration.ofMinutes(n);
              case "h" -> Duration.ofHours(n);
              default -> Duration.ofDays(n);
            };
        return new TimeSpan(d);
      }
    } catch (DateTimeParseException | ArithmeticException | IllegalArgumentException e) {
      throw bad(text, e);
    }
    throw bad(text, null);
  }

  private static IllegalArgumentException bad(String text, Exception cause) {
    return new IllegalArgumentException(
        "time span must look like 500ms, 30s, 2m, 1h, 1d or PT30S (not negative), got \""
            + Hex.abbreviate(text)
            + "\"",
        cause);
  }

  /** This span, or an error naming {@code what} and echoing the value if it is zero. */
  public TimeSpan requirePositive(String what) {
    if (duration.isZero()) {
      throw new IllegalArgumentException(what + " must be longer than 0, got \"" + this + "\"");
    }
    return this;
  }

  public Duration toDuration() {
    return duration;
  }

  public long toMillis() {
    return duration.toMillis();
  }

  public boolean isZero() {
    return duration.isZero();
  }

  @Override
  public int compareTo(TimeSpan o) {
    return duration.compareTo(o.duration);
  }

  /**
   * The canonical form: {@code 0s}, {@code 500ms}, {@code 90s}, {@code 2m}, {@code 1h}, {@code 1d}.
   */
  @Override
  public String toString() {
    if (duration.toNanosPart() % 1_000_000 != 0) {
      return duration.toString();
    }
    long ms = duration.toMillis();
    if (ms == 0) {
      return "0s";
    }
    long[] sizes = {86_400_000L, 3_600_000L, 60_000L, 1_000L};
    String[] units = {"d", "h", "m", "s"};
    for (int i = 0; i < sizes.length; i++) {
      if (ms % sizes[i] == 0) {
        return ms / sizes[i] + units[i];
      }
    }
    return ms + "ms";
  }
}
