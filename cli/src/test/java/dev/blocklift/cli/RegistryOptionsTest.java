package dev.blocklift.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.BlockliftException;
import dev.blocklift.registry.Credentials;
import dev.blocklift.registry.RegistrySettings;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

class RegistryOptionsTest {
  @TempDir Path tmp;

  @Command(name = "t")
  static final class Host {
    @Mixin RegistryOptions registry;
  }

  private static RegistryOptions parse(String... args) {
    Host host = new Host();
    new CommandLine(host).parseArgs(args);
    return host.registry;
  }

  @Test
  void credsTlsVerifyAndRedaction() {
    RegistryOptions o = parse("--creds", "bob:hunter2", "--tls-verify=false");
    RegistrySettings s = o.settings();
    assertFalse(s.tlsVerify());
    assertEquals(
        new Credentials("bob", "hunter2"), s.credentials().lookup("any.host").orElseThrow());
    assertFalse(o.toString().contains("hunter2"), o.toString());
    assertTrue(parse().settings().tlsVerify());
    assertTrue(parse("--tls-verify").settings().tlsVerify());
  }

  @Test
  void authfileAndItsErrors() throws Exception {
    Path file =
        Files.writeString(
            tmp.resolve("auth.json"), "{\"auths\":{\"r.example:5000\":{\"auth\":\"dTpw\"}}}");
    RegistrySettings s = parse("--authfile", file.toString()).settings();
    assertEquals(new Credentials("u", "p"), s.credentials().lookup("r.example:5000").orElseThrow());
    IllegalArgumentException both =
        assertThrows(
            IllegalArgumentException.class,
            () -> parse("--creds", "a:b", "--authfile", file.toString()).settings());
    assertTrue(both.getMessage().contains("exclusive"), both.getMessage());
    Path missing = tmp.resolve("missing.json");
    BlockliftException e =
        assertThrows(
            BlockliftException.class, () -> parse("--authfile", missing.toString()).settings());
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
  }
}
