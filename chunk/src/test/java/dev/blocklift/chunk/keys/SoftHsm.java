package dev.blocklift.chunk.keys;

import dev.blocklift.testing.Requirements;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A SoftHSM2 token private to this test JVM. SoftHSM reads {@code SOFTHSM2_CONF} from the process
 * environment when the library initializes, so the surefire configuration points it at {@code
 * target/softhsm2/softhsm2.conf}; this class writes that config, a fresh token directory, and
 * initializes one token with {@code softhsm2-util} (once per JVM: SunPKCS11 initializes a library
 * once).
 */
final class SoftHsm {
  static final Path LIBRARY = Path.of("/usr/lib/softhsm/libsofthsm2.so");
  static final String PIN = "1234";
  private static long slot = -1;

  private SoftHsm() {}

  /** Skips (locally) or fails (CI) without SoftHSM; returns the initialized token's slot id. */
  static synchronized long slot() throws IOException, InterruptedException {
    Requirements.commands("softhsm2-util");
    Requirements.require(Files.exists(LIBRARY), "needs " + LIBRARY + " (apt-get install softhsm2)");
    String conf = System.getenv("SOFTHSM2_CONF");
    Requirements.require(
        conf != null && !conf.isEmpty(),
        "SOFTHSM2_CONF must be set for the test JVM (chunk/pom.xml surefire config sets it)");
    if (slot >= 0) {
      return slot;
    }
    Path confFile = Path.of(conf);
    Path tokens = confFile.resolveSibling("tokens");
    if (Files.exists(tokens)) {
      try (Stream<Path> s = Files.walk(tokens)) {
        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
    Files.createDirectories(tokens);
    Files.writeString(
        confFile,
        "directories.tokendir = "
            + tokens.toAbsolutePath()
            + "\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n",
        StandardCharsets.UTF_8);
    ProcessBuilder pb =
        new ProcessBuilder(
                List.of(
                    "softhsm2-util",
                    "--init-token",
                    "--free",
                    "--label",
                    "blocklift-test",
                    "--pin",
                    PIN,
                    "--so-pin",
                    "5678"))
            .redirectErrorStream(true);
    pb.environment().put("SOFTHSM2_CONF", confFile.toAbsolutePath().toString());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new AssertionError("softhsm2-util --init-token failed:\n" + out);
    }
    Matcher m = Pattern.compile("reassigned to slot (\\d+)").matcher(out);
    if (!m.find()) {
      throw new AssertionError("cannot find the slot in softhsm2-util output:\n" + out);
    }
    slot = Long.parseLong(m.group(1));
    return slot;
  }
}
