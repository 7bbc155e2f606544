package dev.blocklift.flatten;

import dev.blocklift.testing.Processes;
import dev.blocklift.testing.Requirements;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** The real ext4 tools as oracles. */
final class Ext4Tools {
  private Ext4Tools() {}

  /** Runs {@code e2fsck -fn} and fails with its full output unless it exits 0. */
  static Processes.Result fsck(Path image) throws IOException {
    Requirements.commands("e2fsck");
    List<String> cmd = List.of("e2fsck", "-fn", image.toString());
    Processes.Result r = Processes.run(Duration.ofMinutes(2), null, cmd);
    String all = r.stdout() + r.stderr();
    if (r.exitCode() != 0 || all.contains("? no") || all.contains("IGNORED")) {
      throw new AssertionError(
          "e2fsck -fn exited " + r.exitCode() + " on " + image + "\n" + r.stdout() + r.stderr());
    }
    return r;
  }

  static String debugfs(Path image, String request) throws IOException {
    Requirements.commands("debugfs");
    List<String> cmd = List.of("debugfs", "-R", request, image.toString());
    return Processes.run(Duration.ofMinutes(1), null, cmd).assertSuccess(cmd).stdout();
  }
}
