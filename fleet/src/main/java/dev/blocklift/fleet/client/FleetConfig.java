package dev.blocklift.fleet.client;

import java.time.Duration;

/**
 * How the fleet client reads and fills.
 *
 * @param dataShards k: shards needed to rebuild a chunk (1 with {@code parityShards = 0} is the
 *     single-copy mode, one whole copy per chunk on its rendezvous node)
 * @param parityShards m: extra shards; n = k + m distinct nodes hold one shard each
 * @param requestTimeout bound on one shard request, and on the fleet phase of a read
 * @param maxInFlightPerNode shard requests in flight to one node; beyond it a node is skipped for
 *     that read (counted as shed), so one slow node cannot pile up requests
 * @param hedgeRatio budget of extra requests (beyond the k needed) per read; the default {@code m}
 *     asks all n nodes at once. When the budget is spent, extra requests wait {@code hedgeDelay} or
 *     for a failure among the first k
 * @param hedgeDelay when a budget-less extra request is sent anyway
 * @param maxStoreReads concurrent reads from the next tier (the store), over all chunks
 * @param storeWait how long a miss waits for a store-read permit before failing with an I/O error
 * @param maxPendingFills background fills/repairs queued or running; beyond it they are dropped
 * @param maxChunk largest chunk accepted back from the fleet
 */
public record FleetConfig(
    int dataShards,
    int parityShards,
    Duration requestTimeout,
    int maxInFlightPerNode,
    double hedgeRatio,
    Duration hedgeDelay,
    int maxStoreReads,
    Duration storeWait,
    int maxPendingFills,
    int maxChunk) {
  public FleetConfig {
    if (dataShards < 1 || parityShards < 0 || dataShards + parityShards > 255) {
      throw new IllegalArgumentException(
          "fleet coding k=" + dataShards + " m=" + parityShards + " out of range");
    }
    if (requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw new IllegalArgumentException("request timeout must be positive: " + requestTimeout);
    }
    if (maxInFlightPerNode < 1 || maxStoreReads < 1 || maxPendingFills < 0) {
      throw new IllegalArgumentException(
          "fleet bounds must be positive: inFlight="
              + maxInFlightPerNode
              + " storeReads="
              + maxStoreReads
              + " fills="
              + maxPendingFills);
    }
    if (hedgeRatio < 0) {
      throw new IllegalArgumentException("hedge ratio must not be negative: " + hedgeRatio);
    }
  }

  /** 4 data + 1 parity shards, the paper's layout, with defaults sized for a worker. */
  public static FleetConfig defaults() {
    return coded(4, 1);
  }

  public static FleetConfig coded(int k, int m) {
    return new FleetConfig(
        k,
        m,
        Duration.ofMillis(250),
        64,
        m,
        Duration.ofMillis(5),
        8,
        Duration.ofSeconds(10),
        256,
        4 * 1024 * 1024);
  }

  /** One whole copy per chunk on its rendezvous node (for comparison in benchmarks). */
  public static FleetConfig singleCopy() {
    return coded(1, 0);
  }

  public int totalShards() {
    return dataShards + parityShards;
  }

  public FleetConfig withRequestTimeout(Duration d) {
    return new FleetConfig(
        dataShards,
        parityShards,
        d,
        maxInFlightPerNode,
        hedgeRatio,
        hedgeDelay,
        maxStoreReads,
        storeWait,
        maxPendingFills,
        maxChunk);
  }

  public FleetConfig withHedging(double ratio, Duration delay) {
    return new FleetConfig(
        dataShards,
        parityShards,
        requestTimeout,
        maxInFlightPerNode,
        ratio,
        delay,
        maxStoreReads,
        storeWait,
        maxPendingFills,
        maxChunk);
  }

  public FleetConfig withMaxStoreReads(int n) {
    return new FleetConfig(
        dataShards,
        parityShards,
        requestTimeout,
        maxInFlightPerNode,
        hedgeRatio,
        hedgeDelay,
        n,
        storeWait,
        maxPendingFills,
        maxChunk);
  }

  public FleetConfig withMaxInFlightPerNode(int n) {
    return new FleetConfig(
        dataShards,
        parityShards,
        requestTimeout,
        n,
        hedgeRatio,
        hedgeDelay,
        maxStoreReads,
        storeWait,
        maxPendingFills,
        maxChunk);
  }
}
