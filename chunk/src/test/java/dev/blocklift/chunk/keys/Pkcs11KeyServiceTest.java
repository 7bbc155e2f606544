package dev.blocklift.chunk.keys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.blocklift.chunk.KeyService;
import dev.blocklift.chunk.TenantId;
import dev.blocklift.core.BlockliftException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The key service contract against a real SoftHSM2 token through SunPKCS11. */
class Pkcs11KeyServiceTest extends KeyServiceContract {
  @Override
  protected KeyService newService() throws Exception {
    return Pkcs11KeyService.open(SoftHsm.LIBRARY, SoftHsm.slot(), SoftHsm.PIN.toCharArray());
  }

  @Test
  void keysLiveInTheTokenAsVersionedObjects() throws Exception {
    Pkcs11KeyService s = (Pkcs11KeyService) service;
    TenantId a = tenant("a");
    byte[] w = s.wrap(a, randomKey(1));
    s.rotate(a);
    assertEquals(List.of(1, 2), s.versions(a));
    // A second session (new provider login) sees the same token objects.
    KeyService again =
        Pkcs11KeyService.open(SoftHsm.LIBRARY, SoftHsm.slot(), SoftHsm.PIN.toCharArray());
    assertArrayEquals(randomKey(1), again.unwrap(a, w));
  }

  @Test
  void aSlotWithoutATokenIsAClearError() throws Exception {
    SoftHsm.slot();
    BlockliftException e =
        assertThrows(
            BlockliftException.class,
            () -> Pkcs11KeyService.open(SoftHsm.LIBRARY, 987654321L, SoftHsm.PIN.toCharArray()));
    org.junit.jupiter.api.Assertions.assertTrue(
        e.getMessage().contains("987654321"), e.getMessage());
  }
}
