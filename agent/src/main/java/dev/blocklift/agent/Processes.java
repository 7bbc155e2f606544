package dev.blocklift.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Facts about other processes, from /proc. */
final class Processes {
  private Processes() {}

  /**
   * The start time of process {@code pid} (clock ticks since boot, field 22 of /proc/PID/stat), or
   * empty if there is no such process. A pid and its start time name one process for good.
   */
  static Optional<Long> startTime(long pid) {
    if (pid <= 0) {
      return Optional.empty();
    }
    try {
      String stat =
          Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.UTF_8);
      // comm (field 2) may hold spaces and parentheses: fields after the last ')'.
      String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Optional.of(Long.parseLong(rest[19]));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }
}
