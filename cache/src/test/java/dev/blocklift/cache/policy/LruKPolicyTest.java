package dev.blocklift.cache.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LruKPolicyTest extends EvictionPolicyContract {
  @Override
  protected EvictionPolicy<Integer> create(long capacity) {
    return new LruKPolicy<>(capacity, 2, 64);
  }

  @Test
  void keysWithOneAccessGoFirstEvenIfMoreRecent() {
    LruKPolicy<Integer> p = new LruKPolicy<>(3, 2, 0);
    p.admit(1, 1);
    p.recordAccess(1); // 1 has two accesses, the oldest of all
    p.admit(2, 1);
    p.admit(3, 1);
    assertEquals(List.of(2), p.admit(4, 1), "one-access keys are evicted LRU first");
    assertEquals(List.of(3), p.admit(5, 1));
    assertTrue(p.contains(1));
  }

  @Test
  void fullHistoryKeysGoByTheirKthMostRecentAccess() {
    LruKPolicy<Integer> p = new LruKPolicy<>(2, 2, 0);
    p.admit(1, 1); // t1
    p.admit(2, 1); // t2
    p.recordAccess(2); // t3: key 2 history (t3, t2)
    p.recordAccess(1); // t4: key 1 history (t4, t1)
    // Key 1 was used last, but its second-most-recent access (t1) is older than key 2's (t2).
    assertEquals(List.of(1), p.admit(3, 1));
  }

  @Test
  void evictedKeysKeepTheirHistoryForAWhile() {
    LruKPolicy<Integer> p = new LruKPolicy<>(2, 2, 10);
    p.admit(1, 1);
    p.admit(2, 1);
    assertEquals(List.of(1), p.admit(3, 1));
    assertEquals(1, p.retainedHistory());
    // 1 comes back: with its retained access it now has two, so the one-access keys go first.
    assertEquals(List.of(2), p.admit(1, 1));
    assertEquals(List.of(3), p.admit(4, 1));
    assertTrue(p.contains(1));
  }

  @Test
  void withoutHistoryAReturningKeyStartsOver() {
    LruKPolicy<Integer> p = new LruKPolicy<>(2, 2, 0);
    p.admit(1, 1);
    p.admit(2, 1);
    assertEquals(List.of(1), p.admit(3, 1));
    assertEquals(List.of(2), p.admit(1, 1));
    assertEquals(List.of(3), p.admit(4, 1));
    assertEquals(List.of(1), p.admit(5, 1));
    assertEquals(0, p.retainedHistory());
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {3, 5, 11})
  void retainedHistoryIsBounded(long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    LruKPolicy<Integer> p = new LruKPolicy<>(100, 2, 25);
    for (int i = 0; i < 50_000; i++) {
      WTinyLfuPolicyTest.access(p, rnd.nextInt(100_000));
      assertTrue(p.retainedHistory() <= 25, "seed " + seed + " step " + i);
    }
    assertEquals(25, p.retainedHistory());
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {21, 22})
  void kOneIsLru(long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    LruKPolicy<Integer> lru1 = new LruKPolicy<>(500, 1, 100);
    LruPolicy<Integer> lru = new LruPolicy<>(500);
    for (int i = 0; i < 20_000; i++) {
      int key = rnd.nextInt(300);
      assertEquals(lru.contains(key), lru1.contains(key), "seed " + seed + " step " + i);
      if (lru.contains(key)) {
        lru.recordAccess(key);
        lru1.recordAccess(key);
      } else {
        long w = 1L + rnd.nextInt(20);
        assertEquals(lru.admit(key, w), lru1.admit(key, w), "seed " + seed + " step " + i);
      }
    }
  }

  /**
   * Scan resistance: a hot set that fits and is used repeatedly is never displaced by a scan of
   * keys touched once, however long, while plain LRU loses it.
   */
  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 17, 4242})
  void aScanNeverDisplacesTheHotSet(long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int hot = 40;
    LruKPolicy<Integer> lru2 = new LruKPolicy<>(100, 2, 100);
    LruPolicy<Integer> lru = new LruPolicy<>(100);
    for (EvictionPolicy<Integer> p : List.<EvictionPolicy<Integer>>of(lru2, lru)) {
      for (int round = 0; round < 2; round++) {
        for (int k = 0; k < hot; k++) {
          WTinyLfuPolicyTest.access(p, k);
        }
      }
    }
    long lru2HotHits = 0;
    long lruHotHits = 0;
    int scanKey = 1_000_000;
    for (int i = 0; i < 50_000; i++) {
      boolean hotAccess = rnd.nextInt(10) == 0;
      int key = hotAccess ? rnd.nextInt(hot) : scanKey++;
      if (hotAccess) {
        lru2HotHits += lru2.contains(key) ? 1 : 0;
        lruHotHits += lru.contains(key) ? 1 : 0;
      }
      WTinyLfuPolicyTest.access(lru2, key);
      WTinyLfuPolicyTest.access(lru, key);
    }
    for (int k = 0; k < hot; k++) {
      assertTrue(lru2.contains(k), "seed " + seed + ": hot key " + k + " lost to a scan");
    }
    long hotAccesses = 0;
    SplittableRandom replay = new SplittableRandom(seed);
    for (int i = 0; i < 50_000; i++) {
      if (replay.nextInt(10) == 0) {
        hotAccesses++;
        replay.nextInt(hot);
      }
    }
    assertEquals(hotAccesses, lru2HotHits, "seed " + seed + ": every hot access hits under LRU-2");
    assertTrue(
        lruHotHits < hotAccesses * 0.9,
        "seed " + seed + ": LRU should lose hot keys to the scan, hits " + lruHotHits);
  }

  @Test
  void rejectsBadParameters() {
    assertThrows(IllegalArgumentException.class, () -> new LruKPolicy<>(10, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> new LruKPolicy<>(10, 2, -1));
    assertThrows(IllegalArgumentException.class, () -> new LruKPolicy<>(-1, 2, 0));
    assertFalse(LruKPolicy.lru2(1 << 30).name().isEmpty());
  }
}
