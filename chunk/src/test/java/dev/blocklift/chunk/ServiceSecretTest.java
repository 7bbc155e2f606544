package dev.blocklift.chunk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.BlockliftException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServiceSecretTest {
  @TempDir Path dir;

  @Test
  void createdOnceWithMode600AndStable() throws Exception {
    Path f = dir.resolve("home/service-secret");
    ServiceSecret a = ServiceSecret.loadOrCreate(f);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
    assertEquals(32, Files.size(f));
    ServiceSecret b = ServiceSecret.loadOrCreate(f);
    assertEquals(a.salt("root-1"), b.salt("root-1"));
    assertNotEquals(a.salt("root-1"), a.salt("root-2"));
    assertNotEquals(a.salt("root-1"), a.salt("root-1", Optional.of("hot")));
    ServiceSecret other = ServiceSecret.loadOrCreate(dir.resolve("other"));
    assertNotEquals(a.salt("root-1"), other.salt("root-1"));
  }

  @Test
  void refusesAReadableOrDamagedSecret() throws Exception {
    Path f = dir.resolve("secret");
    ServiceSecret.loadOrCreate(f);
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
    BlockliftException e =
        assertThrows(BlockliftException.class, () -> ServiceSecret.loadOrCreate(f));
    assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
    Files.write(f, new byte[5]);
    assertThrows(BlockliftException.class, () -> ServiceSecret.loadOrCreate(f));
  }

  @Test
  void scopeIsValidated() {
    ServiceSecret s = ServiceSecret.of(new byte[32]);
    assertThrows(IllegalArgumentException.class, () -> s.salt("Root 1"));
    assertThrows(IllegalArgumentException.class, () -> s.salt("root-1", Optional.of("")));
    assertThrows(IllegalArgumentException.class, () -> s.salt("root-1", Optional.of("a\0b")));
  }
}
