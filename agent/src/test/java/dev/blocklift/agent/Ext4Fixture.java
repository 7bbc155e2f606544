package dev.blocklift.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Test fixture: a small ext4 image holding Debian's static busybox (/bin/busybox with sh, echo,
 * cat, ls links), /etc/passwd, and a data file of seeded random bytes, made with the real {@code
 * mkfs.ext4 -d}.
 */
final class Ext4Fixture {
  static final String DATA_FILE = "data/random.bin";
  static final int DATA_SIZE = 3 * 1024 * 1024 + 12345;

  private Ext4Fixture() {}

  static Path busyboxImage(Path dir, long seed) throws IOException {
    Path tree = dir.resolve("tree");
    Files.createDirectories(tree.resolve("bin"));
    Files.createDirectories(tree.resolve("etc"));
    Files.createDirectories(tree.resolve("tmp"));
    Files.createDirectories(tree.resolve("data"));
    Files.createDirectories(tree.resolve("proc"));
    Files.createDirectories(tree.resolve("dev"));
    Files.createDirectories(tree.resolve("sys"));
    Files.copy(Path.of("/bin/busybox"), tree.resolve("bin/busybox"));
    for (String app : List.of("sh", "echo", "cat", "ls", "id", "sync")) {
      Files.createSymbolicLink(tree.resolve("bin").resolve(app), Path.of("busybox"));
    }
    Files.writeString(
        tree.resolve("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n",
        StandardCharsets.UTF_8);
    Files.writeString(
        tree.resolve("etc/group"), "root:x:0:\nnogroup:x:65534:\n", StandardCharsets.UTF_8);
    byte[] data = new byte[DATA_SIZE];
    new SplittableRandom(seed).nextBytes(data);
    Files.write(tree.resolve(DATA_FILE), data);
    Path img = dir.resolve("image.ext4");
    dev.blocklift.testing.Ext4Images.mkfs(tree, img, "24M");
    return img;
  }
}
