package dev.blocklift.cache;

import java.util.List;
import java.util.Locale;

/**
 * Renders tier and fetch snapshots in the Prometheus text exposition format (version 0.0.4), for
 * the agent's and the cache node's {@code /metrics}. Metric names start with the given prefix (e.g.
 * {@code blocklift_cache}); tiers are labelled {@code tier="memory"}, chain levels {@code
 * tier="memory",lower="..."}.
 */
public final class PrometheusText {
  private PrometheusText() {}

  public static String render(String prefix, List<TierStats> tiers, List<FetchStats> fetches) {
    StringBuilder out = new StringBuilder();
    counter(out, prefix, "hits_total", "Lookups that found the chunk.", tiers, TierStats::hits);
    counter(out, prefix, "misses_total", "Lookups that did not.", tiers, TierStats::misses);
    counter(out, prefix, "hit_bytes_total", "Bytes served by hits.", tiers, TierStats::hitBytes);
    counter(out, prefix, "puts_total", "Chunks stored.", tiers, TierStats::puts);
    counter(out, prefix, "put_bytes_total", "Bytes stored.", tiers, TierStats::putBytes);
    counter(
        out, prefix, "rejected_total", "Chunks refused by the policy.", tiers, TierStats::rejected);
    counter(out, prefix, "evictions_total", "Chunks evicted.", tiers, TierStats::evictions);
    counter(out, prefix, "evicted_bytes_total", "Bytes evicted.", tiers, TierStats::evictedBytes);
    counter(
        out,
        prefix,
        "corrupt_dropped_total",
        "Corrupt entries found and deleted.",
        tiers,
        TierStats::corruptDropped);
    gauge(out, prefix, "entries", "Chunks held.", tiers, TierStats::entries);
    gauge(out, prefix, "size_bytes", "Bytes held.", tiers, TierStats::sizeBytes);
    gauge(out, prefix, "capacity_bytes", "Byte budget.", tiers, TierStats::capacityBytes);

    fetchCounter(
        out, prefix, "fetches_total", "Lower-tier reads made.", fetches, FetchStats::fetches);
    fetchCounter(
        out,
        prefix,
        "fetches_coalesced_total",
        "Misses that joined a fetch in flight.",
        fetches,
        FetchStats::coalesced);
    fetchCounter(
        out, prefix, "fetch_failures_total", "Failed lower reads.", fetches, FetchStats::failures);
    fetchCounter(
        out, prefix, "fetch_timeouts_total", "Timed-out waits.", fetches, FetchStats::timeouts);
    fetchCounter(
        out,
        prefix,
        "fetch_corrupt_total",
        "Fetched chunks that failed verification.",
        fetches,
        FetchStats::corrupt);
    fetchCounter(
        out,
        prefix,
        "fetched_bytes_total",
        "Bytes fetched from below.",
        fetches,
        FetchStats::bytesFetched);
    if (!fetches.isEmpty()) {
      String name = prefix + "_fetch_seconds";
      out.append("# HELP ").append(name).append(" Latency of lower-tier reads.\n");
      out.append("# TYPE ").append(name).append(" histogram\n");
      for (FetchStats f : fetches) {
        LatencySnapshot l = f.latency();
        String labels = fetchLabels(f);
        for (int i = 0; i < l.bucketBoundsSeconds().size(); i++) {
          out.append(name)
              .append("_bucket{")
              .append(labels)
              .append(",le=\"")
              .append(num(l.bucketBoundsSeconds().get(i)))
              .append("\"} ")
              .append(l.bucketCounts().get(i))
              .append('\n');
        }
        out.append(name).append("_bucket{").append(labels).append(",le=\"+Inf\"} ");
        out.append(l.count()).append('\n');
        out.append(name).append("_sum{").append(labels).append("} ");
        out.append(num(l.sumNanos() / 1e9)).append('\n');
        out.append(name).append("_count{").append(labels).append("} ");
        out.append(l.count()).append('\n');
      }
    }
    return out.toString();
  }

  private interface Value<T> {
    long of(T t);
  }

  private static void counter(
      StringBuilder out,
      String prefix,
      String suffix,
      String help,
      List<TierStats> tiers,
      Value<TierStats> v) {
    series(out, prefix, suffix, help, "counter", tiers, v);
  }

  private static void gauge(
      StringBuilder out,
      String prefix,
      String suffix,
      String help,
      List<TierStats> tiers,
      Value<TierStats> v) {
    series(out, prefix, suffix, help, "gauge", tiers, v);
  }

  private static void series(
      StringBuilder out,
      String prefix,
      String suffix,
      String help,
      String type,
      List<TierStats> tiers,
      Value<TierStats> v) {
    if (tiers.isEmpty()) {
      return;
    }
    String name = prefix + "_" + suffix;
    out.append("# HELP ").append(name).append(' ').append(help).append('\n');
    out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    for (TierStats t : tiers) {
      out.append(name).append("{tier=\"").append(escape(t.tier())).append("\",policy=\"");
      out.append(escape(t.policy())).append("\"} ").append(v.of(t)).append('\n');
    }
  }

  private static void fetchCounter(
      StringBuilder out,
      String prefix,
      String suffix,
      String help,
      List<FetchStats> fetches,
      Value<FetchStats> v) {
    if (fetches.isEmpty()) {
      return;
    }
    String name = prefix + "_" + suffix;
    out.append("# HELP ").append(name).append(' ').append(help).append('\n');
    out.append("# TYPE ").append(name).append(" counter\n");
    for (FetchStats f : fetches) {
      out.append(name).append('{').append(fetchLabels(f)).append("} ").append(v.of(f));
      out.append('\n');
    }
  }

  private static String fetchLabels(FetchStats f) {
    return "tier=\"" + escape(f.upper()) + "\",lower=\"" + escape(f.lower()) + "\"";
  }

  private static String num(double d) {
    return String.format(Locale.ROOT, "%.6g", d);
  }

  static String escape(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
