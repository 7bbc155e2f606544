package dev.blocklift.chunk.keys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.chunk.ChunkHome;
import dev.blocklift.chunk.KeyService;
import dev.blocklift.chunk.TenantId;
import dev.blocklift.core.BlockliftException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyServicesTest {
  @TempDir Path home;

  @Test
  void defaultIsTheHomeKeyring() {
    KeyService k = KeyServices.open("keyring", home, Clock.systemUTC());
    assertInstanceOf(LocalKeyring.class, k);
    byte[] w = k.wrap(TenantId.DEFAULT, new byte[32]);
    assertTrue(Files.exists(ChunkHome.keyring(home)));
    KeyService again =
        KeyServices.open(
            "keyring:" + ChunkHome.keyring(home), Path.of("/nonexistent"), Clock.systemUTC());
    assertArrayEquals(new byte[32], again.unwrap(TenantId.DEFAULT, w));
  }

  @Test
  void pkcs11SpecReadsThePinFromAFile() throws Exception {
    long slot = SoftHsm.slot();
    Path pin = home.resolve("pin");
    Files.writeString(pin, SoftHsm.PIN + "\n", StandardCharsets.UTF_8);
    KeyService k =
        KeyServices.open(
            "pkcs11:library=" + SoftHsm.LIBRARY + ",slot=" + slot + ",pin-file=" + pin,
            home,
            Clock.systemUTC());
    TenantId t = TenantId.of("spec-test");
    assertArrayEquals(new byte[32], k.unwrap(t, k.wrap(t, new byte[32])));
  }

  @Test
  void badSpecsSayWhatIsWrong() {
    BlockliftException e =
        assertThrows(
            BlockliftException.class, () -> KeyServices.open("vault:x", home, Clock.systemUTC()));
    assertTrue(e.getMessage().contains("vault:x"), e.getMessage());
    e =
        assertThrows(
            BlockliftException.class,
            () -> KeyServices.open("pkcs11:library=/x.so,slot=1", home, Clock.systemUTC()));
    assertTrue(e.getMessage().contains("pin-file"), e.getMessage());
    e =
        assertThrows(
            BlockliftException.class,
            () ->
                KeyServices.open(
                    "pkcs11:library=/x.so,slot=one,pin-env=X", home, Clock.systemUTC()));
    assertTrue(e.getMessage().contains("one"), e.getMessage());
  }
}
