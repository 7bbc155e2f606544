package dev.blocklift.testing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** ext4 images of directory trees for tests, made by the real {@code mkfs.ext4 -d}. */
public final class Ext4Images {
  private Ext4Images() {}

  /**
   * Writes {@code img}: an ext4 of {@code size} (mkfs syntax, e.g. {@code 24M}) holding {@code
   * tree}, 4 KiB blocks, root owned by 0:0.
   */
  public static Path mkfs(Path tree, Path img, String size) throws IOException {
    Processes.check(
        List.of(
            "mkfs.ext4",
            "-q",
            "-F",
            "-b",
            "4096",
            "-E",
            "root_owner=0:0",
            "-d",
            tree.toString(),
            img.toString(),
            size));
    return img;
  }
}
