package dev.blocklift.agent;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of the agent's fetch path: fetches, failures, timeouts, bytes fetched per image and a
 * fixed-bucket latency histogram (Prometheus style, cumulative when rendered).
 */
public final class FetchMetrics {
  /** Upper bounds of the latency buckets, in seconds. */
  static final double[] BUCKETS = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
  };

  final LongAdder reads = new LongAdder();
  final LongAdder fetches = new LongAdder();
  final LongAdder failures = new LongAdder();
  final LongAdder timeouts = new LongAdder();
  final LongAdder bytes = new LongAdder();
  private final LongAdder latencyNanosSum = new LongAdder();
  private final AtomicLongArray latencyBuckets = new AtomicLongArray(BUCKETS.length + 1);
  private final ConcurrentHashMap<String, LongAdder> bytesPerImage = new ConcurrentHashMap<>();

  void recordFetch(String image, long size, long nanos) {
    bytes.add(size);
    bytesPerImage.computeIfAbsent(image, k -> new LongAdder()).add(size);
    latencyNanosSum.add(nanos);
    double seconds = nanos / 1e9;
    int i = 0;
    while (i < BUCKETS.length && seconds > BUCKETS[i]) {
      i++;
    }
    latencyBuckets.incrementAndGet(i);
  }

  /** Chunk reads asked of the fetcher (hits in the tiers, merged waiters and fetches alike). */
  public long reads() {
    return reads.sum();
  }

  public long fetches() {
    return fetches.sum();
  }

  public long failures() {
    return failures.sum();
  }

  public long timeouts() {
    return timeouts.sum();
  }

  public long bytesFetched() {
    return bytes.sum();
  }

  public Map<String, Long> bytesPerImage() {
    Map<String, Long> out = new TreeMap<>();
    bytesPerImage.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  /** Prometheus text exposition of these counters. */
  public String prometheus() {
    StringBuilder sb = new StringBuilder();
    counter(sb, "blocklift_chunk_reads_total", "Chunk reads asked of the fetcher", reads());
    counter(sb, "blocklift_chunk_fetches_total", "Chunk fetches started", fetches());
    counter(sb, "blocklift_chunk_fetch_failures_total", "Chunk fetches that failed", failures());
    counter(sb, "blocklift_chunk_fetch_timeouts_total", "Reads that hit the timeout", timeouts());
    counter(sb, "blocklift_chunk_fetched_bytes_total", "Ciphertext bytes fetched", bytesFetched());
    sb.append("# HELP blocklift_image_fetched_bytes_total Ciphertext bytes fetched per image\n");
    sb.append("# TYPE blocklift_image_fetched_bytes_total counter\n");
    bytesPerImage()
        .forEach(
            (image, n) ->
                sb.append("blocklift_image_fetched_bytes_total{image=\"")
                    .append(escape(image))
                    .append("\"} ")
                    .append(n)
                    .append('\n'));
    sb.append("# HELP blocklift_chunk_fetch_seconds Latency of chunk fetches through the tiers\n");
    sb.append("# TYPE blocklift_chunk_fetch_seconds histogram\n");
    long cumulative = 0;
    for (int i = 0; i <= BUCKETS.length; i++) {
      cumulative += latencyBuckets.get(i);
      String le = i < BUCKETS.length ? Double.toString(BUCKETS[i]) : "+Inf";
      sb.append("blocklift_chunk_fetch_seconds_bucket{le=\"")
          .append(le)
          .append("\"} ")
          .append(cumulative)
          .append('\n');
    }
    sb.append("blocklift_chunk_fetch_seconds_sum ")
        .append(latencyNanosSum.sum() / 1e9)
        .append('\n');
    sb.append("blocklift_chunk_fetch_seconds_count ").append(cumulative).append('\n');
    return sb.toString();
  }

  static void counter(StringBuilder sb, String name, String help, long value) {
    sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
    sb.append("# TYPE ").append(name).append(" counter\n");
    sb.append(name).append(' ').append(value).append('\n');
  }

  static String escape(String label) {
    return label.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
