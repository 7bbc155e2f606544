package dev.blocklift.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.chunk.TenantId;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ByteSize;
import dev.blocklift.core.TimeSpan;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Flags over HOME/config.properties over the defaults, and the errors of each layer. */
class WorkerConfigTest {
  @TempDir Path dir;

  Home home() {
    return new Home(dir, Clock.systemUTC());
  }

  void config(String text) throws Exception {
    Files.writeString(dir.resolve("config.properties"), text, StandardCharsets.UTF_8);
  }

  @Test
  void defaultsWithoutAFile() throws Exception {
    WorkerConfig c = WorkerConfig.resolve(home(), Map.of());
    assertEquals(Optional.empty(), c.store());
    assertEquals(TenantId.DEFAULT, c.tenant());
    assertEquals("local", c.keys());
    assertEquals(Optional.empty(), c.fleet());
    assertEquals(dir.toAbsolutePath().resolve("cache"), c.cacheDir());
    assertEquals(ByteSize.ofMiB(512), c.memoryCache());
    assertEquals(ByteSize.ofGiB(4), c.diskCache());
    assertEquals(ByteSize.ofMiB(256), c.plaintextCache());
    assertEquals(0, c.readahead());
    assertEquals(TimeSpan.ofSeconds(30), c.fetchTimeout());
  }

  @Test
  void theFileOverridesDefaultsAndFlagsOverrideTheFile() throws Exception {
    config(
        """
        # worker
        store=/srv/store
        tenant=team-a
        keys=pkcs11:library=/l.so,slot=1,pin-file=/p
        fleet=fleet.txt
        cache-dir=/var/cache/bl
        memory-cache=1GiB
        disk-cache=0
        plaintext-cache=64MiB
        readahead=auto
        fetch-timeout=1h
        """);
    WorkerConfig file = WorkerConfig.resolve(home(), Map.of());
    assertEquals(Optional.of("/srv/store"), file.store());
    assertEquals(TenantId.of("team-a"), file.tenant());
    assertTrue(file.keys().startsWith("pkcs11:"));
    assertEquals(Optional.of(dir.toAbsolutePath().resolve("fleet.txt")), file.fleet());
    assertEquals(Path.of("/var/cache/bl"), file.cacheDir());
    assertEquals(ByteSize.ofGiB(1), file.memoryCache());
    assertEquals(ByteSize.ofBytes(0), file.diskCache());
    assertEquals(-1, file.readahead());
    assertEquals(TimeSpan.parse("1h"), file.fetchTimeout());

    WorkerConfig flags =
        WorkerConfig.resolve(
            home(),
            Map.of(
                "memory-cache", "0",
                "fetch-timeout", "500ms",
                "fleet", "/etc/fleet",
                "keys", "local",
                "readahead", "3"));
    assertEquals(ByteSize.ofBytes(0), flags.memoryCache());
    assertEquals(TimeSpan.ofMillis(500), flags.fetchTimeout());
    assertEquals(Optional.of(Path.of("/etc/fleet")), flags.fleet());
    assertEquals("local", flags.keys());
    assertEquals(3, flags.readahead());
    assertEquals(Optional.of("/srv/store"), flags.store(), "keys not flagged come from the file");
  }

  @Test
  void anUnknownKeyInTheFileIsAnErrorNamingKeyAndFile() throws Exception {
    config("memroy-cache=1GiB\n");
    BlockliftException e =
        assertThrows(BlockliftException.class, () -> WorkerConfig.resolve(home(), Map.of()));
    assertTrue(e.getMessage().contains("\"memroy-cache\""), e.getMessage());
    assertTrue(e.getMessage().contains(dir.resolve("config.properties").toString()));
    assertTrue(e.getMessage().contains("memory-cache"), "lists the known keys: " + e.getMessage());
  }

  @Test
  void badValuesNameWhereTheyCameFromAndEchoTheValue() throws Exception {
    config("disk-cache=lots\n");
    IllegalArgumentException f =
        assertThrows(IllegalArgumentException.class, () -> WorkerConfig.resolve(home(), Map.of()));
    assertTrue(f.getMessage().startsWith("disk-cache= in " + dir), f.getMessage());
    assertTrue(f.getMessage().contains("\"lots\""), f.getMessage());

    config("");
    for (Map.Entry<String, String> bad :
        Map.of(
                "fetch-timeout", "1 fortnight",
                "memory-cache", "big",
                "readahead", "-2",
                "keys", "vault:x",
                "tenant", "Not A Tenant!")
            .entrySet()) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> WorkerConfig.resolve(home(), Map.of(bad.getKey(), bad.getValue())),
              bad.toString());
      assertTrue(e.getMessage().startsWith("--" + bad.getKey() + ": "), e.getMessage());
      assertTrue(e.getMessage().contains(bad.getValue()), e.getMessage());
    }
    IllegalArgumentException zero =
        assertThrows(
            IllegalArgumentException.class,
            () -> WorkerConfig.resolve(home(), Map.of("fetch-timeout", "0")));
    assertTrue(zero.getMessage().contains("fetch-timeout"), zero.getMessage());
  }

  @Test
  void theCommandLineReportsConfigErrorsAsOneLine() throws Exception {
    config("grace=1h\n");
    StringWriter err = new StringWriter();
    var cl = BlockliftCommand.commandLine();
    cl.setErr(new PrintWriter(err));
    cl.setOut(new PrintWriter(new StringWriter()));
    assertEquals(1, cl.execute("images", "--home", dir.toString()));
    assertTrue(err.toString().startsWith("blocklift: unknown key \"grace\""), err.toString());

    config("");
    StringWriter err2 = new StringWriter();
    var cl2 = BlockliftCommand.commandLine();
    cl2.setErr(new PrintWriter(err2));
    assertEquals(1, cl2.execute("gc", "--home", dir.toString(), "--grace", "soon"));
    assertTrue(err2.toString().contains("--grace") && err2.toString().contains("\"soon\""));
  }

  @Test
  void gcAcceptsEveryTimeSpanForm() throws Exception {
    for (String grace : new String[] {"500ms", "1d", "PT1H", "0"}) {
      StringWriter out = new StringWriter();
      var cl = BlockliftCommand.commandLine();
      cl.setOut(new PrintWriter(out));
      cl.setErr(new PrintWriter(new StringWriter()));
      assertEquals(
          0, cl.execute("gc", "--home", dir.toString(), "--dry-run", "--grace", grace), grace);
      assertTrue(out.toString().contains("younger than " + TimeSpan.parse(grace)), out.toString());
    }
  }
}
