package dev.blocklift.cache;

import java.util.List;

/**
 * A latency distribution at one moment: counts, percentiles and cumulative Prometheus-style buckets
 * (seconds). All times in nanoseconds unless the name says otherwise.
 *
 * @param count number of recorded fetches
 * @param sumNanos total of the recorded latencies (approximate: from the histogram's buckets)
 * @param p50Nanos median
 * @param p99Nanos 99th percentile
 * @param p999Nanos 99.9th percentile
 * @param maxNanos largest recorded
 * @param bucketBoundsSeconds upper bounds of the histogram buckets, ascending, without +Inf
 * @param bucketCounts cumulative count of recorded values &le; each bound (same length)
 */
public record LatencySnapshot(
    long count,
    double sumNanos,
    long p50Nanos,
    long p99Nanos,
    long p999Nanos,
    long maxNanos,
    List<Double> bucketBoundsSeconds,
    List<Long> bucketCounts) {

  public LatencySnapshot {
    bucketBoundsSeconds = List.copyOf(bucketBoundsSeconds);
    bucketCounts = List.copyOf(bucketCounts);
    if (bucketBoundsSeconds.size() != bucketCounts.size()) {
      throw new IllegalArgumentException(
          "bucket bounds ("
              + bucketBoundsSeconds.size()
              + ") and counts ("
              + bucketCounts.size()
              + ") differ in length");
    }
  }
}
