package dev.blocklift.cache.tier;

import dev.blocklift.cache.CacheTier;
import dev.blocklift.cache.TierStats;
import dev.blocklift.cache.policy.EvictionPolicy;
import dev.blocklift.core.ChunkName;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What every byte-bounded tier shares: its name, the eviction policy that owns its byte budget, the
 * lock that guards the policy, and the counters behind {@link TierStats}. Subclasses keep the
 * storage (a map, a directory) and take {@link #lock} around every policy change.
 */
abstract class PolicyBoundedTier implements CacheTier {
  final String name;
  final EvictionPolicy<ChunkName> policy;
  final ReentrantLock lock = new ReentrantLock();
  final TierCounters counters = new TierCounters();

  PolicyBoundedTier(String name, EvictionPolicy<ChunkName> policy) {
    this.name = name;
    this.policy = policy;
  }

  @Override
  public final long sizeBytes() {
    lock.lock();
    try {
      return policy.weightedSize();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public final long capacityBytes() {
    return policy.capacity();
  }

  @Override
  public final int entryCount() {
    lock.lock();
    try {
      return policy.size();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public final TierStats stats() {
    lock.lock();
    try {
      return counters.snapshot(
          name, policy.name(), policy.size(), policy.weightedSize(), policy.capacity());
    } finally {
      lock.unlock();
    }
  }
}
