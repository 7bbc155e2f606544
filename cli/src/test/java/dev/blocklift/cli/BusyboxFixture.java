package dev.blocklift.cli;

import dev.blocklift.chunk.SaltRoots;
import dev.blocklift.chunk.ServiceSecret;
import dev.blocklift.chunk.TenantId;
import dev.blocklift.chunk.keys.LocalKeyring;
import dev.blocklift.convert.ConvertListener;
import dev.blocklift.convert.ConvertOptions;
import dev.blocklift.convert.Converter;
import dev.blocklift.core.Digest;
import dev.blocklift.core.ImageName;
import dev.blocklift.store.Store;
import dev.blocklift.store.Stores;
import dev.blocklift.testing.Processes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A busybox image for the CLI tests, converted into a home's local store: /bin/sh and friends, a
 * 2 MiB random /data/blob, a setuid-root copy of busybox (/bin/suid-busybox), and a config that
 * says {@code echo hello $WHO} (WHO=world).
 */
final class BusyboxFixture {
  static final byte[] CONFIG =
      ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{"
              + "\"Env\":[\"PATH=/bin\",\"WHO=world\"],\"Cmd\":[\"sh\",\"-c\",\"echo hello $WHO\"]}}")
          .getBytes(StandardCharsets.UTF_8);

  private BusyboxFixture() {}

  static Path blob(Path tmp) {
    return tmp.resolve("tree/data/blob");
  }

  /** Builds the tree under {@code tmp/tree}, flattens it and converts it as {@code name}. */
  static byte[] convert(Path tmp, Path home, String name) throws Exception {
    Path tree = tmp.resolve("tree");
    Files.createDirectories(tree.resolve("bin"));
    for (String d : List.of("etc", "tmp", "proc", "dev", "sys", "data")) {
      Files.createDirectories(tree.resolve(d));
    }
    Files.copy(Path.of("/bin/busybox"), tree.resolve("bin/busybox"));
    Files.copy(Path.of("/bin/busybox"), tree.resolve("bin/suid-busybox"));
    Files.setPosixFilePermissions(
        tree.resolve("bin/suid-busybox"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Processes.check(List.of("chmod", "4755", tree.resolve("bin/suid-busybox").toString()));
    for (String app : List.of("sh", "echo", "cat", "sleep", "id", "dd", "sha256sum")) {
      Files.createSymbolicLink(tree.resolve("bin").resolve(app), Path.of("busybox"));
    }
    byte[] data = new byte[2 * 1024 * 1024 + 7];
    new SplittableRandom(5).nextBytes(data);
    Files.write(tree.resolve("data/blob"), data);
    Path img = tmp.resolve("image.ext4");
    Processes.check(
        List.of(
            "mkfs.ext4", "-q", "-F", "-b", "4096", "-E", "root_owner=0:0", "-d", tree.toString(),
            img.toString(), "24M"));
    try (Store store = Stores.open(home.resolve("store").toString());
        LocalKeyring keys = LocalKeyring.open(home.resolve("keyring.json"), Clock.systemUTC())) {
      new Converter(
              store,
              keys,
              ServiceSecret.loadOrCreate(home.resolve("service-secret")),
              new SaltRoots(home.resolve("salt-roots.json"), Clock.systemUTC()),
              tmp.resolve("scratch"),
              System::nanoTime)
          .convertDevice(
              img,
              Digest.sha256(CONFIG),
              CONFIG,
              ConvertOptions.of(ImageName.parse(name), TenantId.DEFAULT),
              ConvertListener.NONE);
    }
    return data;
  }
}
