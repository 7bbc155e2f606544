package dev.blocklift.cache.sim;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.blocklift.cache.policy.EvictionPolicy;
import dev.blocklift.cache.policy.Policies;
import java.util.Locale;

/** A cache reduced to what the simulator needs: was this access a hit? (and remember it). */
interface SimulatedCache {
  boolean access(long key, int weight);

  /** The policies the simulator knows: ours by {@link Policies.Kind} id, plus {@code caffeine}. */
  static SimulatedCache create(String policy, long capacity) {
    String p = policy.trim().toLowerCase(Locale.ROOT);
    if (p.equals("caffeine")) {
      return new CaffeineCache(capacity);
    }
    return new PolicyCache(Policies.Kind.parse(p).create(capacity));
  }

  /** One of our {@link EvictionPolicy} implementations. */
  final class PolicyCache implements SimulatedCache {
    private final EvictionPolicy<Long> policy;

    PolicyCache(EvictionPolicy<Long> policy) {
      this.policy = policy;
    }

    @Override
    public boolean access(long key, int weight) {
      if (policy.contains(key)) {
        policy.recordAccess(key);
        return true;
      }
      policy.admit(key, weight);
      return false;
    }
  }

  /**
   * Caffeine's real cache (W-TinyLFU with its adaptive window) as a reference engine, maintenance
   * run on the calling thread so evictions happen before the next access.
   */
  final class CaffeineCache implements SimulatedCache {
    private final Cache<Long, Integer> cache;

    CaffeineCache(long capacity) {
      cache =
          Caffeine.newBuilder()
              .maximumWeight(capacity)
              .weigher((Long k, Integer w) -> w)
              .executor(Runnable::run)
              .build();
    }

    @Override
    public boolean access(long key, int weight) {
      if (cache.getIfPresent(key) != null) {
        return true;
      }
      cache.put(key, weight);
      return false;
    }
  }
}
