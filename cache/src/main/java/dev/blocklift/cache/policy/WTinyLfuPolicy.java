package dev.blocklift.cache.policy;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;

/*
 * Design: our own Window-TinyLFU (Einziger, Friedman and Manes, "TinyLFU: A Highly Efficient Cache
 * Admission Policy", 2017), the policy inside Caffeine, over weighted keys. It is not Caffeine's
 * code; Caffeine itself is only used as a reference engine by the simulator.
 *
 *   - A small admission window (1% of the bytes) is plain LRU: every new key enters there, so a
 *     burst of new keys gets a chance to prove itself.
 *   - The main region (99%) is a segmented LRU: probation (20% of main) and protected (80%). A hit
 *     in probation promotes to protected; protected overflow is demoted back to probation.
 *   - Keys that overflow the window become candidates for main. When main is over budget, the
 *     oldest candidate is compared with the LRU victim of probation (then protected, then window):
 *     the one with the lower estimated frequency is evicted; ties keep the incumbent, which makes
 *     one-hit-wonders and scans bounce off the window instead of flushing main.
 *   - Frequencies come from a count-min sketch (4 bits per counter, 4 rows, halved every 10 x width
 *     additions), incremented on every access and every miss.
 *
 * Left out compared with Caffeine: the hill climber that adapts the window size (ours is fixed at
 * 1%), the doorkeeper Bloom filter, and the random admission of warm candidates that Caffeine uses
 * against hash flooding (keys here are SHA-256 names chosen by converters, and determinism matters
 * more for the simulator and for restart).
 */

/** Window-TinyLFU eviction (our implementation; see the design note in the source). */
public final class WTinyLfuPolicy<K> extends ResidentKeys<K, WTinyLfuPolicy.Node<K>> {
  private enum Queue {
    WINDOW,
    PROBATION,
    PROTECTED
  }

  static final class Node<K> {
    final K key;
    final long weight;
    Queue queue;

    Node(K key, long weight, Queue queue) {
      this.key = key;
      this.weight = weight;
      this.queue = queue;
    }
  }

  private final long windowCapacity;
  private final long protectedCapacity;
  private final FrequencySketch sketch;
  // Insertion order = LRU order: head is least recently used. Re-insert to move to the tail.
  private final LinkedHashMap<K, Node<K>> window = new LinkedHashMap<>();
  private final LinkedHashMap<K, Node<K>> probation = new LinkedHashMap<>();
  private final LinkedHashMap<K, Node<K>> protectedQ = new LinkedHashMap<>();
  private long windowWeight;
  private long protectedWeight;

  /**
   * @param capacity the byte budget
   * @param windowPercent share of the budget for the admission window (Caffeine starts at 1)
   * @param expectedEntries sizes the frequency sketch (about the number of keys that fit)
   */
  public WTinyLfuPolicy(long capacity, double windowPercent, int expectedEntries) {
    super(capacity, new HashMap<>());
    if (!(windowPercent > 0 && windowPercent < 100)) {
      throw new IllegalArgumentException(
          "window percent must be in (0, 100), got " + windowPercent);
    }
    this.windowCapacity = Math.max(1, (long) (capacity * windowPercent / 100));
    this.protectedCapacity = (long) ((capacity - windowCapacity) * 0.8);
    this.sketch = new FrequencySketch(expectedEntries);
  }

  /** 1% window, sketch sized for 512 KiB chunks. */
  public static <K> WTinyLfuPolicy<K> standard(long capacity) {
    return new WTinyLfuPolicy<>(capacity, 1, Policies.expectedEntries(capacity));
  }

  /** The sketch's frequency estimate for a key (0..15), for tests. */
  public int frequency(K key) {
    return sketch.frequency(key);
  }

  @Override
  public void recordAccess(K key) {
    Node<K> n = resident.get(key);
    if (n == null) {
      return;
    }
    sketch.increment(key);
    switch (n.queue) {
      case WINDOW -> touch(window, n);
      case PROTECTED -> touch(protectedQ, n);
      case PROBATION -> {
        probation.remove(key);
        n.queue = Queue.PROTECTED;
        protectedQ.put(key, n);
        protectedWeight += n.weight;
        demoteProtectedOverflow();
      }
    }
  }

  private void touch(SequencedMap<K, Node<K>> q, Node<K> n) {
    q.remove(n.key);
    q.put(n.key, n);
  }

  private void demoteProtectedOverflow() {
    Iterator<Node<K>> it = protectedQ.values().iterator();
    while (protectedWeight > protectedCapacity && it.hasNext()) {
      Node<K> d = it.next();
      if (protectedQ.size() == 1) {
        break; // keep the key just promoted
      }
      it.remove();
      protectedWeight -= d.weight;
      d.queue = Queue.PROBATION;
      probation.put(d.key, d);
    }
  }

  @Override
  public List<K> admit(K key, long weight) {
    Policies.checkAdmit(this, key, weight);
    sketch.increment(key);
    List<K> victims = new ArrayList<>(2);
    if (weight > capacity) {
      victims.add(key);
      return victims;
    }
    Node<K> n = new Node<>(key, weight, Queue.WINDOW);
    resident.put(key, n);
    window.put(key, n);
    windowWeight += weight;
    weightedSize += weight;

    // Window overflow becomes candidates for main, oldest first.
    ArrayDeque<Node<K>> candidates = new ArrayDeque<>();
    Iterator<Node<K>> wit = window.values().iterator();
    while (windowWeight > windowCapacity && wit.hasNext()) {
      Node<K> c = wit.next();
      wit.remove();
      windowWeight -= c.weight;
      candidates.add(c);
    }
    while (weightedSize > capacity) {
      Node<K> victim = firstOf(probation);
      if (victim == null) {
        victim = firstOf(protectedQ);
      }
      Node<K> candidate = candidates.peekFirst();
      Node<K> evict;
      if (candidate == null) {
        evict = victim != null ? victim : firstOf(window);
      } else if (victim == null) {
        evict = candidate;
      } else {
        evict = sketch.frequency(candidate.key) > sketch.frequency(victim.key) ? victim : candidate;
      }
      if (evict == candidate) {
        candidates.pollFirst();
      } else {
        unlink(evict);
      }
      resident.remove(evict.key);
      weightedSize -= evict.weight;
      victims.add(evict.key);
    }
    for (Node<K> c : candidates) {
      c.queue = Queue.PROBATION;
      probation.put(c.key, c);
    }
    return victims;
  }

  private static <K> Node<K> firstOf(SequencedMap<K, Node<K>> q) {
    return q.isEmpty() ? null : q.firstEntry().getValue();
  }

  private void unlink(Node<K> n) {
    switch (n.queue) {
      case WINDOW -> {
        window.remove(n.key);
        windowWeight -= n.weight;
      }
      case PROBATION -> probation.remove(n.key);
      case PROTECTED -> {
        protectedQ.remove(n.key);
        protectedWeight -= n.weight;
      }
    }
  }

  @Override
  public boolean remove(K key) {
    Node<K> n = resident.remove(key);
    if (n == null) {
      return false;
    }
    unlink(n);
    weightedSize -= n.weight;
    return true;
  }

  @Override
  public String name() {
    return "w-tinylfu";
  }
}
