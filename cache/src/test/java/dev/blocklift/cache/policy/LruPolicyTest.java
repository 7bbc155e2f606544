package dev.blocklift.cache.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class LruPolicyTest extends EvictionPolicyContract {
  @Override
  protected EvictionPolicy<Integer> create(long capacity) {
    return new LruPolicy<>(capacity);
  }

  @Test
  void evictsTheLeastRecentlyUsed() {
    LruPolicy<Integer> p = new LruPolicy<>(3);
    p.admit(1, 1);
    p.admit(2, 1);
    p.admit(3, 1);
    p.recordAccess(1);
    assertEquals(List.of(2), p.admit(4, 1));
    assertEquals(List.of(3, 1), p.admit(5, 2));
  }
}
