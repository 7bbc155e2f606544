package dev.blocklift.cache.policy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.TreeSet;

/*
 * Design: LRU-K (O'Neil, O'Neil and Weikum, 1993) over weighted keys, the policy Lambda's cache
 * fleet uses with K = 2.
 *
 * Each key remembers the logical times (ticks of a counter bumped on every access, never the wall
 * clock) of its last K accesses. The "backward K-distance" of a key is how long ago its K-th most
 * recent access was; a key with fewer than K recorded accesses has an infinite distance. The
 * victim is the key with the largest backward K-distance. Our exact variant:
 *
 *   1. keys with fewer than K recorded accesses are evicted first, least recently used first
 *      (ordered by their last access);
 *   2. then keys with K accesses, ordered by their K-th most recent access (oldest first).
 *
 * So a key touched once by a scan can never displace a key that was touched twice, while a hot key
 * that stops being used still ages out: its K-th access slides into the past like everything else.
 *
 * Admission is unconditional, as in the paper: the victims are chosen among the keys already
 * resident, then the new key goes in (a key heavier than the whole budget is refused).
 *
 * Retained history. Without memory of evicted keys, a chunk that is re-read only after it was
 * evicted would always come back with one access and be evicted first again. So the policy keeps
 * the access history of evicted keys in a "ghost" table and restores it when the key is admitted
 * again (the paper's retained-information idea). The ghost table is bounded: at most maxHistory
 * keys, the oldest-evicted forgotten first. It holds no values and costs ~100 bytes per key.
 * The paper's "correlated reference period" (collapsing bursts of accesses into one) is not
 * implemented: a chunk is read once per miss by the tier chain, and a page-cache-backed reader
 * does not re-read a chunk in bursts.
 *
 * Mechanism: resident keys sit in a TreeSet ordered by (has K accesses, ordering tick). Every tick
 * is unique and belongs to exactly one key, so the order is total and deterministic. Access and
 * admission are O(log n); eviction is a pollFirst.
 */

/** LRU-K eviction (K = 2 by default, as Lambda uses); see the design note in the source. */
public final class LruKPolicy<K> extends ResidentKeys<K, LruKPolicy.Node<K>> {
  private final int k;
  private final int maxHistory;
  private final TreeSet<Node<K>> order = new TreeSet<>(LruKPolicy::compare);
  // Evicted keys' histories, oldest-evicted first.
  private final LinkedHashMap<K, long[]> ghosts = new LinkedHashMap<>();
  private long tick;

  /**
   * @param capacity the byte budget
   * @param k how many accesses each key remembers (1 makes this plain LRU)
   * @param maxHistory how many evicted keys' histories to keep (0 disables retained history)
   */
  public LruKPolicy(long capacity, int k, int maxHistory) {
    super(capacity, new HashMap<>());
    if (k < 1) {
      throw new IllegalArgumentException("LRU-K needs k >= 1, got " + k);
    }
    if (maxHistory < 0) {
      throw new IllegalArgumentException("maxHistory must not be negative, got " + maxHistory);
    }
    this.k = k;
    this.maxHistory = maxHistory;
  }

  /** LRU-2 with a history of as many evicted keys as 512 KiB chunks fit in the budget (min 64). */
  public static <K> LruKPolicy<K> lru2(long capacity) {
    return new LruKPolicy<>(capacity, 2, Policies.expectedEntries(capacity));
  }

  static final class Node<K> {
    final K key;
    final long weight;
    // history[0] is the most recent access; count of valid entries is `accesses`.
    final long[] history;
    int accesses;

    Node(K key, long weight, long[] history, int accesses) {
      this.key = key;
      this.weight = weight;
      this.history = history;
      this.accesses = accesses;
    }

    boolean full() {
      return accesses == history.length;
    }

    long orderTick() {
      return full() ? history[history.length - 1] : history[0];
    }

    void push(long t) {
      System.arraycopy(history, 0, history, 1, history.length - 1);
      history[0] = t;
      if (accesses < history.length) {
        accesses++;
      }
    }
  }

  private static int compare(Node<?> a, Node<?> b) {
    int c = Boolean.compare(a.full(), b.full());
    return c != 0 ? c : Long.compare(a.orderTick(), b.orderTick());
  }

  public int k() {
    return k;
  }

  /** How many evicted keys' histories are retained right now (at most maxHistory). */
  public int retainedHistory() {
    return ghosts.size();
  }

  @Override
  public void recordAccess(K key) {
    Node<K> n = resident.get(key);
    if (n == null) {
      return;
    }
    order.remove(n);
    n.push(++tick);
    order.add(n);
  }

  @Override
  public List<K> admit(K key, long weight) {
    Policies.checkAdmit(this, key, weight);
    List<K> victims = new ArrayList<>(2);
    if (weight > capacity) {
      victims.add(key);
      return victims;
    }
    while (weightedSize + weight > capacity) {
      Node<K> v = order.pollFirst();
      resident.remove(v.key);
      weightedSize -= v.weight;
      victims.add(v.key);
      remember(v);
    }
    long[] history = ghosts.remove(key);
    Node<K> n;
    if (history == null) {
      n = new Node<>(key, weight, new long[k], 0);
    } else {
      int known = 0;
      while (known < k && history[known] != 0) {
        known++;
      }
      n = new Node<>(key, weight, history, known);
    }
    n.push(++tick);
    resident.put(key, n);
    order.add(n);
    weightedSize += weight;
    return victims;
  }

  private void remember(Node<K> v) {
    if (maxHistory == 0) {
      return;
    }
    long[] h = v.history.clone();
    for (int i = v.accesses; i < h.length; i++) {
      h[i] = 0; // ticks start at 1, so 0 marks "no access"
    }
    ghosts.put(v.key, h);
    Iterator<K> oldest = ghosts.keySet().iterator();
    while (ghosts.size() > maxHistory) {
      oldest.next();
      oldest.remove();
    }
  }

  @Override
  public boolean remove(K key) {
    Node<K> n = resident.remove(key);
    if (n == null) {
      return false;
    }
    order.remove(n);
    weightedSize -= n.weight;
    return true;
  }

  @Override
  public String name() {
    return "lru-" + k;
  }
}
