package dev.blocklift.cache.policy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class WTinyLfuPolicyTest extends EvictionPolicyContract {
  @Override
  protected EvictionPolicy<Integer> create(long capacity) {
    return new WTinyLfuPolicy<>(capacity, 1, 256);
  }

  @Test
  void frequentKeysSurviveAScan() {
    WTinyLfuPolicy<Integer> p = new WTinyLfuPolicy<>(100, 1, 256);
    for (int round = 0; round < 5; round++) {
      for (int k = 0; k < 50; k++) {
        access(p, k);
      }
    }
    for (int k = 1000; k < 6000; k++) {
      access(p, k);
    }
    int kept = 0;
    for (int k = 0; k < 50; k++) {
      kept += p.contains(k) ? 1 : 0;
    }
    assertTrue(kept >= 45, "only " + kept + " of 50 hot keys survived a 5000-key scan");
  }

  @Test
  void sketchCountsAccesses() {
    WTinyLfuPolicy<Integer> p = new WTinyLfuPolicy<>(100, 1, 256);
    for (int i = 0; i < 5; i++) {
      access(p, 7);
    }
    assertTrue(p.frequency(7) >= 5, "frequency " + p.frequency(7));
    assertTrue(p.frequency(8) <= 1, "frequency " + p.frequency(8));
  }

  static void access(EvictionPolicy<Integer> p, int k) {
    if (p.contains(k)) {
      p.recordAccess(k);
    } else {
      p.admit(k, 1);
    }
  }
}
