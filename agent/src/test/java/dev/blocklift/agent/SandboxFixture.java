package dev.blocklift.agent;

import dev.blocklift.testing.Processes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * Test fixture for sandbox tests: an ext4 image (real {@code mkfs.ext4 -d}) holding Debian's static
 * busybox with its applets linked in /bin, /etc/passwd with nobody (65534), and what a hostile
 * image could hold: a block-device node {@value #DEVICE_NODE} with the major/minor of a real host
 * block device, a setuid-root copy of busybox at {@value #SETUID_BUSYBOX}, and a setuid-root
 * {@value #SETUID_EUID}: a 136-byte static x86-64 program whose exit status is its effective uid
 * (mod 256), so 0 means a setuid bit took effect and 254 (65534 mod 256) that it did not. (busybox
 * itself drops a setuid root for applets such as {@code id}, so only this one discriminates.)
 */
final class SandboxFixture {
  static final String DEVICE_NODE = "/blk";
  static final String SETUID_BUSYBOX = "/suid/busybox";
  static final String SETUID_EUID = "/suid/euid";
  static final List<String> APPLETS =
      List.of(
          "sh", "echo", "cat", "ls", "id", "sync", "dd", "grep", "mknod", "test", "tail", "cut",
          "head", "stat", "rm", "sed", "tr");

  /** The host block device whose numbers the image's node copies. */
  final Path hostDevice;

  final Path image;

  private SandboxFixture(Path hostDevice, Path image) {
    this.hostDevice = hostDevice;
    this.image = image;
  }

  /** A host block device to copy the numbers of, or null if there is none. */
  static Path hostBlockDevice() {
    for (String d : List.of("/dev/vda", "/dev/sda", "/dev/nvme0n1", "/dev/xvda", "/dev/loop0")) {
      Path p = Path.of(d);
      try {
        if (Files.exists(p) && ((Integer) Files.getAttribute(p, "unix:mode") & 0170000) == 060000) {
          return p;
        }
      } catch (IOException e) {
        // try the next
      }
    }
    return null;
  }

  static SandboxFixture build(Path dir, Path hostDevice) throws IOException {
    Path tree = dir.resolve("tree");
    for (String d : List.of("bin", "etc", "tmp", "proc", "dev", "sys", "suid")) {
      Files.createDirectories(tree.resolve(d));
    }
    Files.setPosixFilePermissions(
        tree.resolve("tmp"), PosixFilePermissions.fromString("rwxrwxrwx"));
    Files.copy(Path.of("/bin/busybox"), tree.resolve("bin/busybox"));
    for (String app : APPLETS) {
      Files.createSymbolicLink(tree.resolve("bin").resolve(app), Path.of("busybox"));
    }
    Files.writeString(
        tree.resolve("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n",
        StandardCharsets.UTF_8);
    Files.writeString(
        tree.resolve("etc/group"), "root:x:0:\nnogroup:x:65534:\n", StandardCharsets.UTF_8);
    Path suidBusybox = tree.resolve(SETUID_BUSYBOX.substring(1));
    Files.copy(Path.of("/bin/busybox"), suidBusybox);
    Path euid = tree.resolve(SETUID_EUID.substring(1));
    Files.write(euid, euidProgram());
    for (Path p : List.of(suidBusybox, euid)) {
      // chmod(2) after the copy: Files.setPosixFilePermissions cannot set the setuid bit.
      Processes.check(List.of("chmod", "4755", p.toString()));
    }
    long rdev = (Long) Files.getAttribute(hostDevice, "unix:rdev");
    Processes.check(
        List.of(
            "mknod",
            tree.resolve(DEVICE_NODE.substring(1)).toString(),
            "b",
            Long.toString(major(rdev)),
            Long.toString(minor(rdev))));
    Path img = dir.resolve("image.ext4");
    dev.blocklift.testing.Ext4Images.mkfs(tree, img, "16M");
    return new SandboxFixture(hostDevice, img);
  }

  static long major(long rdev) {
    return ((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL);
  }

  static long minor(long rdev) {
    return (rdev & 0xff) | ((rdev >>> 12) & ~0xffL);
  }

  static byte[] euidProgram() {
    return dev.blocklift.testing.EuidProbe.program();
  }
}
