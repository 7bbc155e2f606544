package dev.blocklift.flatten;

import dev.blocklift.testing.Processes;
import dev.blocklift.testing.Requirements;
import dev.blocklift.testing.TreeSnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Loop mounts of a flattened image (root only); always unmounted. */
final class Mounts {
  private Mounts() {}

  /** Something to do with a mounted image. */
  @FunctionalInterface
  interface WithMount<T> {
    T apply(Path mountPoint) throws IOException;
  }

  static <T> T withMount(Path image, boolean readOnly, WithMount<T> body) throws IOException {
    Requirements.loopDevices();
    Requirements.commands("mount", "umount");
    Path mnt = Files.createTempDirectory("blocklift-mnt-");
    List<String> mount =
        List.of(
            "mount",
            "-t",
            "ext4",
            "-o",
            readOnly ? "loop,ro" : "loop,rw",
            image.toString(),
            mnt.toString());
    Processes.run(Duration.ofMinutes(1), null, mount).assertSuccess(mount);
    try {
      return body.apply(mnt);
    } finally {
      List<String> umount = List.of("umount", mnt.toString());
      Processes.run(Duration.ofMinutes(1), null, umount).assertSuccess(umount);
      Files.deleteIfExists(mnt);
    }
  }

  static TreeSnapshot snapshot(Path image) throws IOException {
    return ModelSnapshot.unsignedIds(withMount(image, true, TreeSnapshot::of));
  }
}
