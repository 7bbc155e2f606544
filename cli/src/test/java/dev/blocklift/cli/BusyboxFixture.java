package dev.blocklift.cli;

import dev.blocklift.chunk.KeyService;
import dev.blocklift.chunk.SaltRoots;
import dev.blocklift.chunk.ServiceSecret;
import dev.blocklift.chunk.TenantId;
import dev.blocklift.convert.ConvertListener;
import dev.blocklift.convert.ConvertOptions;
import dev.blocklift.convert.Converter;
import dev.blocklift.core.Digest;
import dev.blocklift.core.ImageName;
import dev.blocklift.store.Store;
import dev.blocklift.testing.Processes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A small busybox image (sh, cat, echo; {@code /data/msg} and a 2 MiB {@code /data/blob}) built
 * with mkfs.ext4 and converted into a given store with a given key service.
 */
final class BusyboxFixture {
  static final String MESSAGE = "hello from the fixture\n";
  static final byte[] CONFIG =
      ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{"
              + "\"Env\":[\"PATH=/bin\"],\"Cmd\":[\"cat\",\"/data/msg\"]}}")
          .getBytes(StandardCharsets.UTF_8);

  private BusyboxFixture() {}

  /** Builds the ext4 image under {@code tmp}; returns its path. */
  static Path build(Path tmp) throws Exception {
    Path tree = tmp.resolve("tree");
    Files.createDirectories(tree.resolve("bin"));
    for (String d : List.of("etc", "tmp", "proc", "dev", "sys", "data")) {
      Files.createDirectories(tree.resolve(d));
    }
    Files.copy(Path.of("/bin/busybox"), tree.resolve("bin/busybox"));
    for (String app : List.of("sh", "echo", "cat")) {
      Files.createSymbolicLink(tree.resolve("bin").resolve(app), Path.of("busybox"));
    }
    Files.writeString(tree.resolve("data/msg"), MESSAGE, StandardCharsets.UTF_8);
    byte[] blob = new byte[2 * 1024 * 1024 + 7];
    new SplittableRandom(5).nextBytes(blob);
    Files.write(tree.resolve("data/blob"), blob);
    Path img = tmp.resolve("image.ext4");
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
            "24M"));
    return img;
  }

  /** Converts the image at {@code img} as {@code name} for the default tenant. */
  static void convert(Path img, Path home, Store store, KeyService keys, String name)
      throws Exception {
    new Converter(
            store,
            keys,
            ServiceSecret.loadOrCreate(home.resolve("service-secret")),
            new SaltRoots(home.resolve("salt-roots.json"), Clock.systemUTC()),
            home.resolve("scratch"),
            System::nanoTime)
        .convertDevice(
            img,
            Digest.sha256(CONFIG),
            CONFIG,
            ConvertOptions.of(ImageName.parse(name), TenantId.DEFAULT),
            ConvertListener.NONE);
  }
}
