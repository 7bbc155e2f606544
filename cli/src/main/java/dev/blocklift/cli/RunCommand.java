package dev.blocklift.cli;

import dev.blocklift.agent.ContainerRun;
import dev.blocklift.agent.MountState;
import dev.blocklift.agent.Worker;
import dev.blocklift.chunk.TenantId;
import dev.blocklift.core.ByteSize;
import dev.blocklift.core.ImageName;
import dev.blocklift.store.Store;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code blocklift run NAME[:TAG] [-- CMD ARGS...]}: runs a container whose rootfs is the image
 * mounted lazily (FUSE → loop → ext4 through a per-run copy-on-write overlay), with runc.
 */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description =
        "Run a container from a converted image, fetching only the blocks it reads (needs root,"
            + " FUSE and runc). The container's exit code is returned.")
public final class RunCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "NAME[:TAG]", description = "The image, as converted.")
  String image;

  @Parameters(
      index = "1..*",
      paramLabel = "CMD",
      description = "Command and arguments replacing the image's cmd (after --).")
  List<String> command = new ArrayList<>();

  @Mixin WorkerOptions worker;

  @Override
  public Integer call() throws IOException {
    ImageName name = ImageName.parse(image);
    ContainerRun.checkHost(true);
    String id =
        "blocklift-"
            + ProcessHandle.current().pid()
            + "-"
            + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
    try (Worker w = worker.open()) {
      Worker.Image img = w.open(name);
      try (ContainerRun run =
          ContainerRun.prepare(
              MountState.runRoot().resolve("runs").resolve(id),
              id,
              img.device(),
              img.config(),
              command)) {
        return run.run();
      }
    }
  }

  /** The options every command that reads images shares: store, keys, cache tiers, timeout. */
  public static final class WorkerOptions {
    @Option(
        names = "--home",
        paramLabel = "DIR",
        description = "blocklift home: keyring, cache (default: $BLOCKLIFT_HOME or ~/.blocklift).")
    Path home;

    @Option(
        names = "--store",
        paramLabel = "URI",
        description =
            "Chunk store URI (default: store= in HOME/config.properties, else HOME/store).")
    String store;

    @Option(
        names = "--tenant",
        paramLabel = "T",
        defaultValue = "default",
        description = "Tenant whose key opens the manifest (default: ${DEFAULT-VALUE}).")
    String tenant;

    @Option(
        names = "--cache-dir",
        paramLabel = "DIR",
        description = "Local disk cache tier directory (default: HOME/cache).")
    Path cacheDir;

    @Option(
        names = "--memory-cache",
        paramLabel = "SIZE",
        defaultValue = "512MiB",
        description = "Memory cache tier size, e.g. 512MiB (default: ${DEFAULT-VALUE}; 0 = none).")
    String memoryCache;

    @Option(
        names = "--disk-cache",
        paramLabel = "SIZE",
        defaultValue = "4GiB",
        description = "Disk cache tier size, e.g. 4GiB (default: ${DEFAULT-VALUE}; 0 = none).")
    String diskCache;

    @Option(
        names = "--fetch-timeout",
        paramLabel = "DURATION",
        defaultValue = "30s",
        description =
            "A chunk not had within this fails the read with EIO, e.g. 500ms, 30s"
                + " (default: ${DEFAULT-VALUE}).")
    String fetchTimeout;

    Path home() {
      return Home.resolve(home).dir();
    }

    Worker.Options options() {
      return new Worker.Options(
          ByteSize.parse(memoryCache),
          Optional.of(cacheDir != null ? cacheDir : home().resolve("cache")),
          ByteSize.parse(diskCache),
          parseDuration(fetchTimeout),
          TenantId.of(tenant),
          8);
    }

    Worker open() throws IOException {
      Worker.Options options = options();
      Home h = Home.resolve(home);
      Store s = h.openStore(store);
      try {
        return Worker.open(s, h.keys(), options);
      } catch (IOException | RuntimeException e) {
        s.close();
        throw e;
      }
    }

    /** The options as command-line arguments (for a child process). */
    List<String> args() {
      List<String> a = new ArrayList<>();
      a.addAll(List.of("--home", home().toString(), "--tenant", tenant));
      if (store != null) {
        a.addAll(List.of("--store", store));
      }
      if (cacheDir != null) {
        a.addAll(List.of("--cache-dir", cacheDir.toString()));
      }
      a.addAll(
          List.of(
              "--memory-cache",
              memoryCache,
              "--disk-cache",
              diskCache,
              "--fetch-timeout",
              fetchTimeout));
      return a;
    }
  }

  /** Parses {@code 500ms}, {@code 30s}, {@code 2m}, or ISO-8601 {@code PT30S}. */
  static Duration parseDuration(String text) {
    String t = text.strip().toLowerCase(Locale.ROOT);
    try {
      Duration d;
      if (t.startsWith("pt")) {
        d = Duration.parse(t.toUpperCase(Locale.ROOT));
      } else if (t.endsWith("ms")) {
        d = Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
      } else if (t.endsWith("s")) {
        d = Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)));
      } else if (t.endsWith("m")) {
        d = Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1)));
      } else {
        throw new IllegalArgumentException();
      }
      if (d.isZero() || d.isNegative()) {
        throw new IllegalArgumentException();
      }
      return d;
    } catch (IllegalArgumentException | DateTimeParseException e) {
      throw new IllegalArgumentException(
          "duration must look like 500ms, 30s or 2m (positive), got \"" + text + "\"", e);
    }
  }
}
