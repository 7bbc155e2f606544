package dev.blocklift.cache;

import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/** Records latencies (nanoseconds) from many threads into an HdrHistogram; snapshots on demand. */
public final class LatencyRecorder {
  /** Bucket bounds for the Prometheus rendering: 25 µs to 10 s. */
  public static final List<Double> BUCKETS_SECONDS =
      List.of(
          25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3,
          250e-3, 500e-3, 1.0, 2.5, 5.0, 10.0);

  private final ConcurrentHistogram histogram = new ConcurrentHistogram(3);

  public void record(long nanos) {
    histogram.recordValue(Math.max(0, nanos));
  }

  public LatencySnapshot snapshot() {
    Histogram h = histogram.copy();
    List<Long> counts = new ArrayList<>(BUCKETS_SECONDS.size());
    for (double bound : BUCKETS_SECONDS) {
      long boundNanos = (long) (bound * 1e9);
      counts.add(h.getTotalCount() == 0 ? 0 : h.getCountBetweenValues(0, boundNanos));
    }
    return new LatencySnapshot(
        h.getTotalCount(),
        h.getMean() * h.getTotalCount(),
        h.getValueAtPercentile(50),
        h.getValueAtPercentile(99),
        h.getValueAtPercentile(99.9),
        h.getMaxValue(),
        BUCKETS_SECONDS,
        counts);
  }
}
