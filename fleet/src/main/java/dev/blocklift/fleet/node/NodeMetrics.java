package dev.blocklift.fleet.node;

import java.util.concurrent.atomic.LongAdder;

/** A cache node's counters, rendered for {@code /metrics} in the Prometheus text format. */
public final class NodeMetrics {
  final LongAdder hits = new LongAdder();
  final LongAdder misses = new LongAdder();
  final LongAdder heads = new LongAdder();
  final LongAdder puts = new LongAdder();
  final LongAdder rejectedChecksum = new LongAdder();
  final LongAdder rejectedSize = new LongAdder();
  final LongAdder badRequests = new LongAdder();
  final LongAdder bytesSent = new LongAdder();
  final LongAdder bytesReceived = new LongAdder();
  final LongAdder corruptOnRead = new LongAdder();
  final LongAdder testCorrupted = new LongAdder();
  final LatencyHistogram getLatency = new LatencyHistogram();
  final LatencyHistogram putLatency = new LatencyHistogram();

  public long hits() {
    return hits.sum();
  }

  public long misses() {
    return misses.sum();
  }

  String render(ShardStore.Stats s) {
    StringBuilder b = new StringBuilder(4096);
    counter(b, "blocklift_node_get_hits_total", "GETs answered with a shard", hits.sum());
    counter(b, "blocklift_node_get_misses_total", "GETs answered 404", misses.sum());
    counter(b, "blocklift_node_head_total", "HEAD requests", heads.sum());
    counter(b, "blocklift_node_puts_total", "shards stored", puts.sum());
    b.append("# HELP blocklift_node_put_rejected_total PUTs refused with a 4xx\n");
    b.append("# TYPE blocklift_node_put_rejected_total counter\n");
    b.append("blocklift_node_put_rejected_total{reason=\"checksum\"} ")
        .append(rejectedChecksum.sum())
        .append('\n');
    b.append("blocklift_node_put_rejected_total{reason=\"size\"} ")
        .append(rejectedSize.sum())
        .append('\n');
    counter(b, "blocklift_node_bad_requests_total", "malformed requests", badRequests.sum());
    counter(b, "blocklift_node_sent_bytes_total", "shard bytes sent", bytesSent.sum());
    counter(b, "blocklift_node_received_bytes_total", "shard bytes stored", bytesReceived.sum());
    counter(
        b,
        "blocklift_node_corrupt_on_read_total",
        "stored shards that failed their checksum on GET (dropped)",
        corruptOnRead.sum());
    counter(
        b,
        "blocklift_node_test_corrupted_total",
        "TEST ONLY: GET answers deliberately corrupted",
        testCorrupted.sum());
    b.append("# HELP blocklift_node_evictions_total shards evicted per tier\n");
    b.append("# TYPE blocklift_node_evictions_total counter\n");
    b.append("blocklift_node_evictions_total{tier=\"memory\"} ")
        .append(s.memoryEvictions())
        .append('\n');
    b.append("blocklift_node_evictions_total{tier=\"disk\"} ")
        .append(s.diskEvictions())
        .append('\n');
    b.append("# HELP blocklift_node_tier_hits_total GET hits per tier\n");
    b.append("# TYPE blocklift_node_tier_hits_total counter\n");
    b.append("blocklift_node_tier_hits_total{tier=\"memory\"} ")
        .append(s.memoryHits())
        .append('\n');
    b.append("blocklift_node_tier_hits_total{tier=\"disk\"} ").append(s.diskHits()).append('\n');
    b.append("# HELP blocklift_node_stored_bytes bytes resident per tier\n");
    b.append("# TYPE blocklift_node_stored_bytes gauge\n");
    b.append("blocklift_node_stored_bytes{tier=\"memory\"} ").append(s.memoryBytes()).append('\n');
    b.append("blocklift_node_stored_bytes{tier=\"disk\"} ").append(s.diskBytes()).append('\n');
    b.append("# HELP blocklift_node_stored_shards shards resident per tier\n");
    b.append("# TYPE blocklift_node_stored_shards gauge\n");
    b.append("blocklift_node_stored_shards{tier=\"memory\"} ")
        .append(s.memoryEntries())
        .append('\n');
    b.append("blocklift_node_stored_shards{tier=\"disk\"} ").append(s.diskEntries()).append('\n');
    b.append("# HELP blocklift_node_request_seconds shard request service time\n");
    b.append("# TYPE blocklift_node_request_seconds histogram\n");
    getLatency.render(b, "blocklift_node_request_seconds", "method=\"GET\"");
    putLatency.render(b, "blocklift_node_request_seconds", "method=\"PUT\"");
    return b.toString();
  }

  private static void counter(StringBuilder b, String name, String help, long value) {
    b.append("# HELP ").append(name).append(' ').append(help).append('\n');
    b.append("# TYPE ").append(name).append(" counter\n");
    b.append(name).append(' ').append(value).append('\n');
  }
}
