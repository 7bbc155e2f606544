package dev.blocklift.cache.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PoliciesTest {
  @Test
  void parsesEveryKindByItsId() {
    for (Policies.Kind k : Policies.Kind.values()) {
      assertEquals(k, Policies.Kind.parse(k.id()));
      assertEquals(k.id(), k.create(1000).name());
    }
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Policies.Kind.parse("fifo"));
    assertTrue(e.getMessage().contains("fifo"), e.getMessage());
  }
}
