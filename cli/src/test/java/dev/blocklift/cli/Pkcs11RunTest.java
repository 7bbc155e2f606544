package dev.blocklift.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.chunk.KeyService;
import dev.blocklift.chunk.keys.LocalKeyring;
import dev.blocklift.store.Store;
import dev.blocklift.testing.Requirements;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A SoftHSM2 token named by {@code keys=} in HOME/config.properties seals the manifest at convert
 * (through the composition root) and opens it at {@code blocklift run} (a child JVM, whose
 * container prints a file of the image).
 */
class Pkcs11RunTest {
  static final Path LIBRARY = Path.of("/usr/lib/softhsm/libsofthsm2.so");

  @TempDir Path tmp;

  @Test
  void keysFromConfigRoundTripConvertToRun() throws Exception {
    Requirements.root();
    Requirements.fuse();
    Requirements.loopDevices();
    Requirements.commands("runc", "mkfs.ext4", "softhsm2-util");
    Requirements.require(Files.exists(LIBRARY), "needs " + LIBRARY + " (apt-get install softhsm2)");
    String conf = System.getenv("SOFTHSM2_CONF");
    Requirements.require(
        conf != null && !conf.isEmpty(), "SOFTHSM2_CONF must be set (cli/pom.xml sets it)");
    Path confFile = Path.of(conf);
    Path tokens = tmp.resolve("tokens");
    Files.createDirectories(tokens);
    Files.createDirectories(confFile.getParent());
    Files.writeString(
        confFile,
        "directories.tokendir = "
            + tokens
            + "\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n",
        StandardCharsets.UTF_8);
    ProcessBuilder init =
        new ProcessBuilder(
                "softhsm2-util",
                "--init-token",
                "--free",
                "--label",
                "blocklift-cli-test",
                "--pin",
                "1234",
                "--so-pin",
                "5678")
            .redirectErrorStream(true);
    init.environment().put("SOFTHSM2_CONF", confFile.toString());
    Process p = init.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, out);
    Matcher m = Pattern.compile("reassigned to slot (\\d+)").matcher(out);
    assertTrue(m.find(), out);

    Path home = tmp.resolve("home");
    Files.createDirectories(home);
    Path pin = tmp.resolve("pin");
    Files.writeString(pin, "1234\n");
    Files.writeString(
        home.resolve("config.properties"),
        "keys=pkcs11:library=" + LIBRARY + ",slot=" + m.group(1) + ",pin-file=" + pin + "\n");

    WorkerConfig config = WorkerConfig.resolve(new Home(home, Clock.systemUTC()), Map.of());
    Path img = BusyboxFixture.build(tmp);
    try (Store store = ReadPath.store(config);
        KeyService keys = ReadPath.keys(config)) {
      assertTrue(!(keys instanceof LocalKeyring), "keys= chose the HSM: " + keys);
      BusyboxFixture.convert(img, home, store, keys, "busybox:1");
    }
    assertTrue(!Files.exists(home.resolve("keyring.json")), "no local keyring was used");

    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("--enable-native-access=ALL-UNNAMED");
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
    cmd.addAll(List.of("run", "busybox:1", "--home", home.toString(), "--", "cat", "/data/msg"));
    ProcessBuilder run = new ProcessBuilder(cmd);
    run.environment().put("SOFTHSM2_CONF", confFile.toString());
    Process r = run.start();
    CompletableFuture<String> err =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return new String(r.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
              } catch (java.io.IOException e) {
                return e.toString();
              }
            });
    String stdout = new String(r.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!r.waitFor(3, TimeUnit.MINUTES)) {
      r.destroyForcibly();
      throw new AssertionError("blocklift run did not finish in 3 minutes");
    }
    assertEquals(0, r.exitValue(), err.get(10, TimeUnit.SECONDS));
    assertEquals(BusyboxFixture.MESSAGE, stdout);
  }
}
