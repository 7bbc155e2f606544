package dev.blocklift.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * What a test needs from the machine: root, FUSE, loop devices, commands on the PATH. Locally a
 * missing requirement skips the test with a printed reason; under {@code CI=true} it fails the
 * test, because CI installs everything ({@code .ci/run}) and a silent skip would hide a gap.
 */
public final class Requirements {
  private Requirements() {}

  public static boolean inCi() {
    return "true".equalsIgnoreCase(System.getenv("CI"));
  }

  /** Skips (locally) or fails (in CI) unless every command is on the PATH. */
  public static void commands(String... commands) {
    List<String> missing = new ArrayList<>();
    for (String c : commands) {
      if (findCommand(c) == null) {
        missing.add(c);
      }
    }
    require(missing.isEmpty(), "missing commands on PATH: " + String.join(", ", missing));
  }

  public static void root() {
    require(isRoot(), "needs root (uid 0)");
  }

  public static void fuse() {
    require(Files.exists(Path.of("/dev/fuse")), "needs /dev/fuse");
    commands("fusermount3");
  }

  public static void loopDevices() {
    root();
    require(Files.exists(Path.of("/dev/loop-control")), "needs /dev/loop-control for loop mounts");
  }

  /** Skips locally, fails in CI, when {@code condition} is false. */
  public static void require(boolean condition, String reason) {
    if (condition) {
      return;
    }
    if (inCi()) {
      throw new AssertionError("CI=true and a test requirement is missing: " + reason);
    }
    System.out.println("[skipped] " + reason + " (under CI=true this is a failure)");
    Assumptions.assumeTrue(false, reason);
  }

  public static boolean isRoot() {
    try {
      Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
      String out =
          new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
              .trim();
      p.waitFor(10, TimeUnit.SECONDS);
      return out.equals("0");
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** The absolute path of a command on the PATH (or in /usr/sbin, /sbin), or null. */
  public static Path findCommand(String command) {
    String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin:/usr/bin:/bin";
    for (String dir : path.split(":")) {
      if (dir.isEmpty()) {
        continue;
      }
      Path p = Path.of(dir, command);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }
}
