package dev.blocklift.cache.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The contract every {@link EvictionPolicy} meets; each implementation's test extends this. */
public abstract class EvictionPolicyContract {

  protected abstract EvictionPolicy<Integer> create(long capacity);

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 42, 1234, 98765})
  void staysWithinBudgetAndAgreesWithAModel(long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    long capacity = 200L + rnd.nextInt(2000);
    EvictionPolicy<Integer> p = create(capacity);
    Map<Integer, Long> model = new HashMap<>();
    int keys = 50 + rnd.nextInt(300);
    for (int op = 0; op < 20_000; op++) {
      int key = rnd.nextInt(keys);
      String where = "seed " + seed + " op " + op + " key " + key;
      if (rnd.nextInt(50) == 0) {
        assertEquals(model.remove(key) != null, p.remove(key), where);
      } else if (model.containsKey(key)) {
        assertTrue(p.contains(key), where);
        p.recordAccess(key);
      } else {
        assertFalse(p.contains(key), where);
        long weight = rnd.nextInt(10) == 0 ? rnd.nextLong(capacity + 50) : 1 + rnd.nextInt(60);
        model.put(key, weight);
        List<Integer> victims = p.admit(key, weight);
        for (Integer v : victims) {
          assertTrue(model.remove(v) != null, where + ": victim " + v + " was not resident");
        }
        if (weight > capacity) {
          assertEquals(List.of(key), victims, where + ": an oversized key must be refused");
        }
      }
      long total = model.values().stream().mapToLong(Long::longValue).sum();
      assertTrue(p.weightedSize() <= capacity, where + ": over budget " + p.weightedSize());
      assertEquals(total, p.weightedSize(), where);
      assertEquals(model.size(), p.size(), where);
    }
    for (int key = 0; key < keys; key++) {
      assertEquals(model.containsKey(key), p.contains(key), "seed " + seed + " key " + key);
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {7, 8})
  void isDeterministic(long seed) {
    assertEquals(victimsOf(seed), victimsOf(seed), "seed " + seed);
  }

  private List<List<Integer>> victimsOf(long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    EvictionPolicy<Integer> p = create(1000);
    List<List<Integer>> all = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      int key = rnd.nextInt(400);
      if (p.contains(key)) {
        p.recordAccess(key);
      } else {
        all.add(p.admit(key, 1 + rnd.nextInt(40)));
      }
    }
    return all;
  }

  @Test
  void refusesAKeyHeavierThanTheBudget() {
    EvictionPolicy<Integer> p = create(100);
    assertEquals(List.of(), p.admit(1, 60));
    assertEquals(List.of(2), p.admit(2, 101));
    assertFalse(p.contains(2));
    assertTrue(p.contains(1));
    assertEquals(60, p.weightedSize());
  }

  @Test
  void rejectsMisuse() {
    EvictionPolicy<Integer> p = create(100);
    p.admit(1, 10);
    IllegalArgumentException again =
        assertThrows(IllegalArgumentException.class, () -> p.admit(1, 10));
    assertTrue(again.getMessage().contains("1"), again.getMessage());
    assertThrows(IllegalArgumentException.class, () -> p.admit(2, -1));
    assertFalse(p.remove(3));
    p.recordAccess(4); // not resident: ignored
    assertFalse(p.contains(4));
  }

  @Test
  void removeFreesItsWeight() {
    EvictionPolicy<Integer> p = create(100);
    p.admit(1, 70);
    assertTrue(p.remove(1));
    assertEquals(0, p.weightedSize());
    assertEquals(List.of(), p.admit(2, 100));
    assertEquals(1, p.size());
  }

  @Test
  void emptyBudgetHoldsOnlyWeightlessKeys() {
    EvictionPolicy<Integer> p = create(0);
    assertEquals(List.of(1), p.admit(1, 1));
    assertEquals(0, p.size());
  }

  @Test
  void keepsAKeyThatFitsAndIsReused() {
    EvictionPolicy<Integer> p = create(10);
    for (int round = 0; round < 100; round++) {
      if (p.contains(0)) {
        p.recordAccess(0);
      } else {
        p.admit(0, 5);
      }
    }
    assertTrue(p.contains(0));
  }
}
