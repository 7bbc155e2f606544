package dev.blocklift.cache.policy;

import java.util.Locale;

/** The eviction policies by name, and the default the tiers ship with. */
public final class Policies {
  /** The weight the sketch and history sizes assume per key: one 512 KiB chunk. */
  public static final long TYPICAL_WEIGHT = 512 * 1024;

  private Policies() {}

  /** The policies the tiers can run, by the name used on the command line and in tables. */
  public enum Kind {
    LRU("lru"),
    LRU_2("lru-2"),
    W_TINYLFU("w-tinylfu");

    private final String id;

    Kind(String id) {
      this.id = id;
    }

    public String id() {
      return id;
    }

    /** A fresh policy of this kind for a budget of {@code capacity} bytes. */
    public <K> EvictionPolicy<K> create(long capacity) {
      return switch (this) {
        case LRU -> new LruPolicy<>(capacity);
        case LRU_2 -> LruKPolicy.lru2(capacity);
        case W_TINYLFU -> WTinyLfuPolicy.standard(capacity);
      };
    }

    public static Kind parse(String text) {
      String t = text.trim().toLowerCase(Locale.ROOT);
      for (Kind k : values()) {
        if (k.id.equals(t)) {
          return k;
        }
      }
      throw new IllegalArgumentException(
          "unknown eviction policy \"" + text + "\"; use one of lru, lru-2, w-tinylfu");
    }
  }

  /**
   * The policy MemoryTier and DiskTier use unless told otherwise: the simulator's winner (see
   * docs/cache.md for the table that chose it).
   */
  public static final Kind DEFAULT = Kind.LRU_2;

  /** A fresh default policy for a budget of {@code capacity} bytes. */
  public static <K> EvictionPolicy<K> defaultPolicy(long capacity) {
    return DEFAULT.create(capacity);
  }

  static long checkCapacity(long capacity) {
    if (capacity < 0) {
      throw new IllegalArgumentException("cache capacity must not be negative, got " + capacity);
    }
    return capacity;
  }

  static int expectedEntries(long capacity) {
    return (int) Math.max(64, Math.min(1 << 24, capacity / TYPICAL_WEIGHT));
  }

  static <K> void checkAdmit(EvictionPolicy<K> policy, K key, long weight) {
    if (weight < 0) {
      throw new IllegalArgumentException("weight of " + key + " must not be negative: " + weight);
    }
    if (policy.contains(key)) {
      throw new IllegalArgumentException(key + " is already resident in the " + policy.name());
    }
  }
}
