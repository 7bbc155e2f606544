package dev.blocklift.cache.policy;

import java.util.Map;

/**
 * The bookkeeping every policy does the same way: the byte budget, the total weight of the resident
 * keys, and the map from each resident key to the policy's own per-key record. Subclasses decide
 * only the order of eviction.
 *
 * @param <K> the key type
 * @param <V> the policy's per-key record (a weight, or a node carrying one)
 */
abstract class ResidentKeys<K, V> implements EvictionPolicy<K> {
  final long capacity;
  final Map<K, V> resident;
  long weightedSize;

  ResidentKeys(long capacity, Map<K, V> resident) {
    this.capacity = Policies.checkCapacity(capacity);
    this.resident = resident;
  }

  @Override
  public final long capacity() {
    return capacity;
  }

  @Override
  public final long weightedSize() {
    return weightedSize;
  }

  @Override
  public final int size() {
    return resident.size();
  }

  @Override
  public final boolean contains(K key) {
    return resident.containsKey(key);
  }
}
