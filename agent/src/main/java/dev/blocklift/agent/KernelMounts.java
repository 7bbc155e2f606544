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
 *
 * <p>Each call runs on a platform thread of its own: mounting or unmounting an ext4 whose loop
 * device reads from this process's FUSE server waits for FUSE requests this process answers, and a
 * native call made on a virtual thread pins its carrier, so a few concurrent mounts would pin every
 * carrier and starve the very requests they wait for (seen with 20 concurrent runs).
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
    long f = flags;
    String d = String.join(",", data);
    Libc.Result r = onPlatformThread(() -> Libc.mount(source, target.toString(), type, f, d));
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
    Libc.Result r = onPlatformThread(() -> Libc.umount2(target.toString(), 0));
    if (!r.failed()) {
      return true;
    }
    return r.errno() == EBUSY
        && !onPlatformThread(() -> Libc.umount2(target.toString(), MNT_DETACH)).failed();
  }

  private static Libc.Result onPlatformThread(java.util.function.Supplier<Libc.Result> call) {
    Libc.Result[] out = new Libc.Result[1];
    Thread t = Thread.ofPlatform().name("blocklift-mount").start(() -> out[0] = call.get());
    boolean interrupted = false;
    while (true) {
      try {
        t.join();
        break;
      } catch (InterruptedException e) {
        interrupted = true; // the syscall cannot be abandoned half-way: wait for it
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    return out[0];
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
