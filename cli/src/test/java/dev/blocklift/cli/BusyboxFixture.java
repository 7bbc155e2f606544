package dev.blocklift.cli;

import dev.blocklift.chunk.KeyService;
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
import java.time.Clock;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The busybox image of the CLI tests, flattened with mkfs.ext4 and converted: /bin/sh and friends,
 * {@code /data/msg} ({@link #MESSAGE}), a 2 MiB random {@code /data/blob}, a setuid-root {@code
 * /bin/euid} ({@link dev.blocklift.testing.EuidProbe}), and a config whose cmd says {@code echo
 * hello $WHO} (WHO=world).
 */
final class BusyboxFixture {
  static final String MESSAGE = "hello from the fixture\n";
  static final byte[] CONFIG =
      ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{"
              + "\"Env\":[\"PATH=/bin\",\"WHO=world\"],\"Cmd\":[\"sh\",\"-c\",\"echo hello $WHO\"]}}")
          .getBytes(StandardCharsets.UTF_8);

  private BusyboxFixture() {}

  /** The bytes of {@code /data/blob} as {@link #build} writes them. */
  static byte[] blobBytes() {
    byte[] blob = new byte[2 * 1024 * 1024 + 7];
    new SplittableRandom(5).nextBytes(blob);
    return blob;
  }

  /** Where {@link #build} put the blob on the host (to compare with). */
  static Path blob(Path tmp) {
    return tmp.resolve("tree/data/blob");
  }

  /** Builds the ext4 image under {@code tmp}; returns its path. */
  static Path build(Path tmp) throws Exception {
    Path tree = tmp.resolve("tree");
    Files.createDirectories(tree.resolve("bin"));
    for (String d : List.of("etc", "tmp", "proc", "dev", "sys", "data")) {
      Files.createDirectories(tree.resolve(d));
    }
    Files.copy(Path.of("/bin/busybox"), tree.resolve("bin/busybox"));
    Files.write(tree.resolve("bin/euid"), dev.blocklift.testing.EuidProbe.program());
    // chmod(1): Files.setPosixFilePermissions cannot set the setuid bit.
    Processes.check(List.of("chmod", "4755", tree.resolve("bin/euid").toString()));
    for (String app : List.of("sh", "echo", "cat", "sleep", "id", "dd", "sha256sum", "cut")) {
      Files.createSymbolicLink(tree.resolve("bin").resolve(app), Path.of("busybox"));
    }
    Files.writeString(tree.resolve("data/msg"), MESSAGE, StandardCharsets.UTF_8);
    Files.write(tree.resolve("data/blob"), blobBytes());
    Path img = tmp.resolve("image.ext4");
    dev.blocklift.testing.Ext4Images.mkfs(tree, img, "24M");
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

  /**
   * Builds the image and converts it into {@code home}'s local store with its local keyring;
   * returns the blob's bytes.
   */
  static byte[] convert(Path tmp, Path home, String name) throws Exception {
    Path img = build(tmp);
    try (Store store = Stores.open(home.resolve("store").toString());
        LocalKeyring keys = LocalKeyring.open(home.resolve("keyring.json"), Clock.systemUTC())) {
      convert(img, home, store, keys, name);
    }
    return blobBytes();
  }
}
