package dev.blocklift.fleet.client;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/** The fleet client's counters and read latency histogram (microseconds). */
public final class FleetMetrics {
  final LongAdder reads = new LongAdder();
  final LongAdder hits = new LongAdder();
  final LongAdder misses = new LongAdder();
  final LongAdder corruptShards = new LongAdder();
  final LongAdder badReconstructions = new LongAdder();
  final LongAdder shardErrors = new LongAdder();
  final LongAdder shardNotFound = new LongAdder();
  final LongAdder shed = new LongAdder();
  final LongAdder hedgesImmediate = new LongAdder();
  final LongAdder hedgesDelayed = new LongAdder();
  final LongAdder storeReads = new LongAdder();
  final LongAdder fills = new LongAdder();
  final LongAdder repairs = new LongAdder();
  final LongAdder fillsDropped = new LongAdder();
  final LongAdder fillErrors = new LongAdder();
  final LongAdder failedReads = new LongAdder();
  private final LongSupplier storeReadsShared;
  private final ConcurrentHistogram latency =
      new ConcurrentHistogram(TimeUnit.SECONDS.toMicros(60), 3);

  /**
   * @param storeReadsShared misses that joined a store read already in flight (the single flight's
   *     count, read live)
   */
  FleetMetrics(LongSupplier storeReadsShared) {
    this.storeReadsShared = storeReadsShared;
  }

  void recordLatency(long nanos) {
    latency.recordValue(Math.min(TimeUnit.SECONDS.toMicros(60), Math.max(1, nanos / 1000)));
  }

  /** A copy of the read latency histogram in microseconds. */
  public Histogram latencyMicros() {
    return latency.copy();
  }

  public void resetLatency() {
    latency.reset();
  }

  /**
   * The counters and latency quantiles in Prometheus text, names starting {@code prefix_fleet_}.
   */
  public String prometheus(String prefix) {
    Snapshot s = snapshot();
    StringBuilder sb = new StringBuilder();
    String p = prefix + "_fleet_";
    counter(sb, p + "reads_total", "Reads asked of the cache fleet", s.reads());
    counter(sb, p + "hits_total", "Reads the fleet served", s.hits());
    counter(sb, p + "misses_total", "Reads passed to the next tier", s.misses());
    counter(sb, p + "failed_reads_total", "Reads that failed", s.failedReads());
    counter(sb, p + "corrupt_shards_total", "Shards that failed their checksum", s.corruptShards());
    counter(
        sb,
        p + "bad_reconstructions_total",
        "Rebuilt chunks that did not hash to their name",
        s.badReconstructions());
    counter(sb, p + "shard_errors_total", "Shard requests that failed", s.shardErrors());
    counter(sb, p + "shard_not_found_total", "Shard requests answered 404", s.shardNotFound());
    counter(sb, p + "shed_total", "Shard requests skipped, node at its limit", s.shed());
    counter(sb, p + "store_reads_total", "Reads from the next tier", s.storeReads());
    counter(sb, p + "fills_total", "Chunks written to the fleet after a miss", s.fills());
    counter(sb, p + "repairs_total", "Shards re-written after a 404", s.repairs());
    counter(sb, p + "fills_dropped_total", "Fills dropped, queue full", s.fillsDropped());
    counter(sb, p + "fill_errors_total", "Fills that failed", s.fillErrors());
    Histogram h = latency.copy();
    String q = p + "read_latency_seconds";
    sb.append("# HELP ").append(q).append(" Fleet read latency quantiles\n");
    sb.append("# TYPE ").append(q).append(" summary\n");
    for (double quantile : new double[] {0.5, 0.9, 0.99}) {
      sb.append(q)
          .append("{quantile=\"")
          .append(quantile)
          .append("\"} ")
          .append(h.getValueAtPercentile(quantile * 100) / 1e6)
          .append('\n');
    }
    sb.append(q).append("_count ").append(h.getTotalCount()).append('\n');
    return sb.toString();
  }

  private static void counter(StringBuilder sb, String name, String help, long value) {
    sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
    sb.append("# TYPE ").append(name).append(" counter\n");
    sb.append(name).append(' ').append(value).append('\n');
  }

  public Snapshot snapshot() {
    return new Snapshot(
        reads.sum(),
        hits.sum(),
        misses.sum(),
        corruptShards.sum(),
        badReconstructions.sum(),
        shardErrors.sum(),
        shardNotFound.sum(),
        shed.sum(),
        hedgesImmediate.sum(),
        hedgesDelayed.sum(),
        storeReads.sum(),
        storeReadsShared.getAsLong(),
        fills.sum(),
        repairs.sum(),
        fillsDropped.sum(),
        fillErrors.sum(),
        failedReads.sum());
  }

  /**
   * Counters at one moment. {@code hits}: reads served by the fleet; {@code misses}: reads that
   * went to the next tier; {@code corruptShards}: shards that failed their checksum (ignored);
   * {@code badReconstructions}: rebuilt chunks that did not hash to their name (a shard with a
   * valid CRC but wrong bytes; another subset or the next tier answered instead).
   */
  public record Snapshot(
      long reads,
      long hits,
      long misses,
      long corruptShards,
      long badReconstructions,
      long shardErrors,
      long shardNotFound,
      long shed,
      long hedgesImmediate,
      long hedgesDelayed,
      long storeReads,
      long storeReadsShared,
      long fills,
      long repairs,
      long fillsDropped,
      long fillErrors,
      long failedReads) {
    public double hitRate() {
      return reads == 0 ? 0 : (double) hits / reads;
    }

    public Snapshot minus(Snapshot o) {
      return new Snapshot(
          reads - o.reads,
          hits - o.hits,
          misses - o.misses,
          corruptShards - o.corruptShards,
          badReconstructions - o.badReconstructions,
          shardErrors - o.shardErrors,
          shardNotFound - o.shardNotFound,
          shed - o.shed,
          hedgesImmediate - o.hedgesImmediate,
          hedgesDelayed - o.hedgesDelayed,
          storeReads - o.storeReads,
          storeReadsShared - o.storeReadsShared,
          fills - o.fills,
          repairs - o.repairs,
          fillsDropped - o.fillsDropped,
          fillErrors - o.fillErrors,
          failedReads - o.failedReads);
    }
  }
}
