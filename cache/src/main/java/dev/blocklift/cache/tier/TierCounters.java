package dev.blocklift.cache.tier;

import dev.blocklift.cache.TierStats;
import java.util.concurrent.atomic.LongAdder;

/** The monotonic counters behind {@link TierStats}. */
final class TierCounters {
  final LongAdder hits = new LongAdder();
  final LongAdder misses = new LongAdder();
  final LongAdder hitBytes = new LongAdder();
  final LongAdder puts = new LongAdder();
  final LongAdder putBytes = new LongAdder();
  final LongAdder rejected = new LongAdder();
  final LongAdder evictions = new LongAdder();
  final LongAdder evictedBytes = new LongAdder();
  final LongAdder removals = new LongAdder();
  final LongAdder corruptDropped = new LongAdder();
  final LongAdder partialDropped = new LongAdder();

  TierStats snapshot(String tier, String policy, long entries, long sizeBytes, long capacityBytes) {
    return new TierStats(
        tier,
        policy,
        hits.sum(),
        misses.sum(),
        hitBytes.sum(),
        puts.sum(),
        putBytes.sum(),
        rejected.sum(),
        evictions.sum(),
        evictedBytes.sum(),
        removals.sum(),
        corruptDropped.sum(),
        partialDropped.sum(),
        entries,
        sizeBytes,
        capacityBytes);
  }
}
