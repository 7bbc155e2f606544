package dev.blocklift.core;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A size in bytes as written on the command line and in config: {@code 4096}, {@code 64KiB}, {@code
 * 512MiB}, {@code 4GiB}, {@code 1TiB}; decimal {@code KB/MB/GB/TB} and a bare {@code K/M/G/T}
 * (binary) are accepted too.
 */
public record ByteSize(long bytes) implements Comparable<ByteSize> {
  private static final Pattern FORMAT =
      Pattern.compile("\\s*(\\d+)(?:\\.(\\d+))?\\s*([KMGT]i?B?|B)?\\s*", Pattern.CASE_INSENSITIVE);

  public ByteSize {
    if (bytes < 0) {
      throw new IllegalArgumentException("size must not be negative: " + bytes);
    }
  }

  public static ByteSize ofBytes(long bytes) {
    return new ByteSize(bytes);
  }

  public static ByteSize ofKiB(long n) {
    return new ByteSize(Math.multiplyExact(n, 1024L));
  }

  public static ByteSize ofMiB(long n) {
    return new ByteSize(Math.multiplyExact(n, 1024L * 1024));
  }

  public static ByteSize ofGiB(long n) {
    return new ByteSize(Math.multiplyExact(n, 1024L * 1024 * 1024));
  }

  public static ByteSize parse(String text) {
    Matcher m = FORMAT.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "size must look like 4096, 64KiB, 512MiB or 4GiB, got \"" + Hex.abbreviate(text) + "\"");
    }
    String unit = m.group(3) == null ? "B" : m.group(3).toUpperCase(Locale.ROOT);
    long multiplier =
        switch (unit) {
          case "B" -> 1L;
          case "K", "KI", "KIB" -> 1L << 10;
          case "M", "MI", "MIB" -> 1L << 20;
          case "G", "GI", "GIB" -> 1L << 30;
          case "T", "TI", "TIB" -> 1L << 40;
          case "KB" -> 1_000L;
          case "MB" -> 1_000_000L;
          case "GB" -> 1_000_000_000L;
          case "TB" -> 1_000_000_000_000L;
          default ->
              throw new IllegalArgumentException(
                  "unknown size unit \"" + m.group(3) + "\" in \"" + Hex.abbreviate(text) + "\"");
        };
    try {
      long whole = Math.multiplyExact(Long.parseLong(m.group(1)), multiplier);
      if (m.group(2) == null) {
        return new ByteSize(whole);
      }
      double fraction = Double.parseDouble("0." + m.group(2));
      return new ByteSize(Math.addExact(whole, Math.round(fraction * multiplier)));
    } catch (ArithmeticException | NumberFormatException e) {
      throw new IllegalArgumentException("size too large: \"" + Hex.abbreviate(text) + "\"", e);
    }
  }

  /** Human form with binary units, e.g. {@code 1.5 GiB}. */
  public static String format(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = bytes;
    int i = -1;
    while (v >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return String.format(Locale.ROOT, v >= 100 ? "%.0f %s" : "%.1f %s", v, units[i]);
  }

  @Override
  public int compareTo(ByteSize o) {
    return Long.compare(bytes, o.bytes);
  }

  @Override
  public String toString() {
    return format(bytes);
  }
}
