package dev.blocklift.fleet.node;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/** A fixed-bucket latency histogram rendered as a Prometheus histogram (seconds). */
public final class LatencyHistogram {
  /** Upper bounds in microseconds. */
  private static final long[] BOUNDS_MICROS = {
    50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 1_000_000
  };

  private final AtomicLongArray buckets = new AtomicLongArray(BOUNDS_MICROS.length + 1);
  private final LongAdder sumNanos = new LongAdder();
  private final LongAdder count = new LongAdder();

  public void record(long nanos) {
    long micros = nanos / 1000;
    int i = 0;
    while (i < BOUNDS_MICROS.length && micros > BOUNDS_MICROS[i]) {
      i++;
    }
    buckets.incrementAndGet(i);
    sumNanos.add(nanos);
    count.increment();
  }

  public long count() {
    return count.sum();
  }

  /** Appends the histogram's lines for metric {@code name} with the given label set. */
  public void render(StringBuilder out, String name, String labels) {
    long cumulative = 0;
    String sep = labels.isEmpty() ? "" : labels + ",";
    for (int i = 0; i < BOUNDS_MICROS.length; i++) {
      cumulative += buckets.get(i);
      out.append(name)
          .append("_bucket{")
          .append(sep)
          .append("le=\"")
          .append(String.format(Locale.ROOT, "%s", BOUNDS_MICROS[i] / 1e6))
          .append("\"} ")
          .append(cumulative)
          .append('\n');
    }
    cumulative += buckets.get(BOUNDS_MICROS.length);
    out.append(name).append("_bucket{").append(sep).append("le=\"+Inf\"} ").append(cumulative);
    out.append('\n');
    String braces = labels.isEmpty() ? "" : "{" + labels + "}";
    out.append(name)
        .append("_sum")
        .append(braces)
        .append(' ')
        .append(String.format(Locale.ROOT, "%.9f", sumNanos.sum() / 1e9))
        .append('\n');
    out.append(name).append("_count").append(braces).append(' ').append(count.sum()).append('\n');
  }
}
