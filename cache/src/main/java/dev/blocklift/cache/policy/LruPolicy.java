package dev.blocklift.cache.policy;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Least recently used: evicts the key whose last access is oldest. The baseline. */
public final class LruPolicy<K> extends ResidentKeys<K, Long> {
  public LruPolicy(long capacity) {
    // Access order: the first entry is the least recently used.
    super(capacity, new LinkedHashMap<>(16, 0.75f, true));
  }

  @Override
  public void recordAccess(K key) {
    resident.get(key); // moves it to the most recent end
  }

  @Override
  public List<K> admit(K key, long weight) {
    Policies.checkAdmit(this, key, weight);
    List<K> victims = new ArrayList<>(2);
    if (weight > capacity) {
      victims.add(key);
      return victims;
    }
    Iterator<Map.Entry<K, Long>> it = resident.entrySet().iterator();
    while (weightedSize + weight > capacity && it.hasNext()) {
      Map.Entry<K, Long> e = it.next();
      victims.add(e.getKey());
      weightedSize -= e.getValue();
      it.remove();
    }
    resident.put(key, weight);
    weightedSize += weight;
    return victims;
  }

  @Override
  public boolean remove(K key) {
    Long w = resident.remove(key);
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
