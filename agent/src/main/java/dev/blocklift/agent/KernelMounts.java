package dev.blocklift.agent;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * mount(2) and umount2(2) called directly (through {@link Libc}) instead of spawning {@code
 * mount}/{@code umount}: a run's start mounts three file systems and its end unmounts them, and a
 * process spawn from the worker's JVM costs several milliseconds each. Options are {@code mount -o}
 * style: the flag words become mount flags, the rest the file system's data string.
 */
final class KernelMounts {
  private static final Map<String, Long> FLAGS =
      Map.of("ro", 1L, "nosuid", 2L, "nodev", 4L, "noexec", 8L, "rw", 0L);
  private static final int MNT_DETACH = 2;
  private static final int EBUSY = 16;

  private KernelMounts() {}

  static void mount(String type, String source, String options, Path target) throws IOException {
    long flags = 0;
    List<String> data = new ArrayList<>();
    for (String o : options.split(",")) {
      if (o.isEmpty()) {
        continue;
      }
      Long f = FLAGS.get(o);
      if (f != null) {
        flags |= f;
      } else {
        data.add(o);
      }
    }
    Libc.Result r = Libc.mount(source, target.toString(), type, flags, String.join(",", data));
    if (r.failed()) {
      throw new IOException(
          "mount -t "
              + type
              + " -o "
              + options
              + " "
              + source
              + " "
              + target
              + " failed: errno "
              + r.errno()
              + " ("
              + describe(r.errno())
              + ")");
    }
  }

  /** Unmounts {@code target}, lazily if it is busy; false if even that failed. */
  static boolean unmount(Path target) {
    Libc.Result r = Libc.umount2(target.toString(), 0);
    if (!r.failed()) {
      return true;
    }
    return r.errno() == EBUSY && !Libc.umount2(target.toString(), MNT_DETACH).failed();
  }

  private static String describe(int errno) {
    return switch (errno) {
      case 1 -> "not permitted";
      case 2 -> "no such file or directory";
      case 16 -> "busy";
      case 19 -> "no such file system type";
      case 20 -> "not a directory";
      case 22 -> "invalid argument or bad superblock";
      default -> "see errno(3)";
    };
  }
}
