package dev.blocklift.chunk.keys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.chunk.KeyService;
import dev.blocklift.chunk.TenantId;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.CorruptDataException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalKeyringTest extends KeyServiceContract {
  @TempDir Path dir;
  private final Clock clock = Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC);

  @Override
  protected KeyService newService() throws Exception {
    return LocalKeyring.open(dir.resolve("home/keyring.json"), clock);
  }

  private Path file() {
    return dir.resolve("home/keyring.json");
  }

  @Test
  void createsTheKeyringWithMode600() throws Exception {
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file())));
    service.wrap(tenant("a"), randomKey(1)); // rewritten atomically: still 0600
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file())));
  }

  @Test
  void refusesAGroupOrWorldReadableKeyring() throws Exception {
    TenantId a = tenant("a");
    byte[] w = service.wrap(a, randomKey(1));
    for (String mode : List.of("rw-r-----", "rw----r--", "rw-rw-rw-")) {
      Files.setPosixFilePermissions(file(), PosixFilePermissions.fromString(mode));
      BlockliftException e = assertThrows(BlockliftException.class, () -> service.unwrap(a, w));
      assertTrue(e.getMessage().contains("chmod 600 " + file()), e.getMessage());
      assertThrows(BlockliftException.class, () -> LocalKeyring.open(file(), clock));
    }
    Files.setPosixFilePermissions(file(), PosixFilePermissions.fromString("rw-------"));
    assertArrayEquals(randomKey(1), service.unwrap(a, w));
  }

  @Test
  void keepsSeveralTenantsAndAllKeyVersionsAcrossReopen() throws Exception {
    LocalKeyring k = (LocalKeyring) service;
    TenantId a = tenant("a");
    TenantId b = tenant("b");
    byte[] wa1 = k.wrap(a, randomKey(1));
    byte[] wb1 = k.wrap(b, randomKey(2));
    k.rotate(a);
    k.rotate(a);
    byte[] wa3 = k.wrap(a, randomKey(3));
    LocalKeyring reopened = LocalKeyring.open(file(), clock);
    assertEquals(List.of(a, b), reopened.tenants());
    assertEquals(3, reopened.currentVersion(a));
    assertEquals(1, reopened.currentVersion(b));
    assertArrayEquals(randomKey(1), reopened.unwrap(a, wa1));
    assertArrayEquals(randomKey(2), reopened.unwrap(b, wb1));
    assertArrayEquals(randomKey(3), reopened.unwrap(a, wa3));
  }

  @Test
  void anotherKeyringCannotUnwrap() throws Exception {
    TenantId a = tenant("a");
    byte[] w = service.wrap(a, randomKey(1));
    LocalKeyring other = LocalKeyring.open(dir.resolve("other/keyring.json"), clock);
    other.wrap(a, randomKey(2)); // same tenant name, different key
    assertThrows(CorruptDataException.class, () -> other.unwrap(a, w));
  }

  @Test
  void aCorruptKeyringIsReportedNamingTheFile() throws Exception {
    Files.writeString(
        file(), "{\"format\":\"blocklift-keyring\",\"version\":2}", StandardCharsets.UTF_8);
    CorruptDataException e =
        assertThrows(CorruptDataException.class, () -> service.wrap(tenant("a"), randomKey(1)));
    assertTrue(e.getMessage().contains(file().toString()) && e.getMessage().contains("version"));
    Files.writeString(file(), "not json", StandardCharsets.UTF_8);
    assertThrows(CorruptDataException.class, () -> LocalKeyring.open(file(), clock));
  }

  @Test
  void aBlobFromAnotherKeyServiceIsRefused() {
    byte[] w = service.wrap(tenant("a"), randomKey(1));
    w[3] = 'P'; // "BLKP": a PKCS#11 blob
    CorruptDataException e =
        assertThrows(CorruptDataException.class, () -> service.unwrap(tenant("a"), w));
    assertTrue(e.getMessage().contains("magic"), e.getMessage());
  }
}
