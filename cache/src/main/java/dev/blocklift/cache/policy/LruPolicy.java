package dev.blocklift.cache.policy;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Least recently used: evicts the key whose last access is oldest. The baseline. */
public final class LruPolicy<K> implements EvictionPolicy<K> {
  private final long capacity;
  // Access order: the first entry is the least recently used.
  private final LinkedHashMap<K, Long> weights = new LinkedHashMap<>(16, 0.75f, true);
  private long weightedSize;

  public LruPolicy(long capacity) {
    this.capacity = Policies.checkCapacity(capacity);
  }

  @Override
  public long capacity() {
    return capacity;
  }

  @Override
  public long weightedSize() {
    return weightedSize;
  }

  @Override
  public int size() {
    return weights.size();
  }

  @Override
  public boolean contains(K key) {
    return weights.containsKey(key);
  }

  @Override
  public void recordAccess(K key) {
    weights.get(key); // moves it to the most recent end
  }

  @Override
  public List<K> admit(K key, long weight) {
    Policies.checkAdmit(this, key, weight);
    List<K> victims = new ArrayList<>(2);
    if (weight > capacity) {
      victims.add(key);
      return victims;
    }
    Iterator<Map.Entry<K, Long>> it = weights.entrySet().iterator();
    while (weightedSize + weight > capacity && it.hasNext()) {
      Map.Entry<K, Long> e = it.next();
      victims.add(e.getKey());
      weightedSize -= e.getValue();
      it.remove();
    }
    weights.put(key, weight);
    weightedSize += weight;
    return victims;
  }

  @Override
  public boolean remove(K key) {
    Long w = weights.remove(key);
    if (w == null) {
      return false;
    }
    weightedSize -= w;
    return true;
  }

  @Override
  public String name() {
    return "lru";
  }
}
