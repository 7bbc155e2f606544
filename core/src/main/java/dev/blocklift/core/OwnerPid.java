package dev.blocklift.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Scratch files that name the process writing them: {@code PREFIX<pid>-<anything>}. A file is a
 * leftover once that process is gone, so a clean-up never removes the live file of a concurrent
 * process, and needs no lock file and no guess about how long a writer may take:
 *
 * <ul>
 *   <li>no process with that pid: the writer died (kill -9, crash, power loss);
 *   <li>a process with that pid that started after the file was last modified: the pid was reused,
 *       so the writer is gone too (the writer's process started before it wrote the file).
 * </ul>
 *
 * Pids are per host: scratch directories must not be shared between hosts (the home's {@code tmp/}
 * and a local store's staging directory are local by construction).
 */
public final class OwnerPid {
  private OwnerPid() {}

  /** This process's pid, as written into scratch file names. */
  public static long self() {
    return ProcessHandle.current().pid();
  }

  /** {@code prefix + pid + "-"}: what a scratch file of this process starts with. */
  public static String tag(String prefix) {
    return prefix + self() + "-";
  }

  /** The pid in {@code fileName} if it is {@code prefix<digits>-...}, else empty. */
  public static OptionalLong parse(String fileName, String prefix) {
    if (!fileName.startsWith(prefix)) {
      return OptionalLong.empty();
    }
    int from = prefix.length();
    int dash = fileName.indexOf('-', from);
    if (dash <= from || dash - from > 18) {
      return OptionalLong.empty();
    }
    for (int i = from; i < dash; i++) {
      if (fileName.charAt(i) < '0' || fileName.charAt(i) > '9') {
        return OptionalLong.empty();
      }
    }
    return OptionalLong.of(Long.parseLong(fileName.substring(from, dash)));
  }

  /**
   * True if the process {@code pid} is alive and may have written a file last modified at {@code
   * lastModified} (it started no later than that, give or take a second of clock granularity).
   */
  public static boolean mayBeWriting(long pid, Instant lastModified) {
    if (pid == self()) {
      return true;
    }
    Optional<ProcessHandle> p = ProcessHandle.of(pid);
    if (p.isEmpty() || !p.get().isAlive()) {
      return false;
    }
    Optional<Instant> started = p.get().info().startInstant();
    return started.isEmpty() || !started.get().isAfter(lastModified.plusSeconds(1));
  }

  /**
   * True if {@code file} is named {@code prefix<pid>-...} and its writer is gone ({@link
   * #mayBeWriting} is false); false for other names, for live writers and for a file that vanished.
   */
  public static boolean isLeftover(Path file, String prefix) throws IOException {
    OptionalLong pid = parse(file.getFileName().toString(), prefix);
    if (pid.isEmpty()) {
      return false;
    }
    Instant modified;
    try {
      modified = Files.getLastModifiedTime(file).toInstant();
    } catch (NoSuchFileException e) {
      return false;
    }
    return !mayBeWriting(pid.getAsLong(), modified);
  }
}
