package dev.blocklift.cli;

import dev.blocklift.agent.ContainerRun;
import dev.blocklift.agent.FuseServer;
import dev.blocklift.agent.MountState;
import dev.blocklift.agent.Prefetcher;
import dev.blocklift.agent.Worker;
import dev.blocklift.cache.sim.TraceRecorder;
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
import java.util.concurrent.CompletableFuture;
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

  @Mixin SandboxOptions sandbox;

  @Option(
      names = "--stats-json",
      paramLabel = "FILE",
      description =
          "After the run, write its figures to FILE as JSON: phase times, chunk fetches, bytes"
              + " fetched, store GETs, the image's stored data bytes.")
  Path statsJson;

  @Option(
      names = "--trace",
      paramLabel = "FILE",
      description =
          "Record every chunk read of the run to FILE (\"CHUNK BYTES\" lines, the trace format"
              + " the cache simulator replays: dev.blocklift.cache.sim.Simulator --trace FILE).")
  Path trace;

  @Option(
      names = "--prefetch",
      paramLabel = "TRACE",
      description =
          "A trace recorded by an earlier run of this image (--trace): fetch the chunks it read,"
              + " in that order, 4 at a time, while the mount is being set up.")
  Path prefetch;

  @Option(
      names = "--worker",
      paramLabel = "SOCKET",
      description =
          "Run through the worker on SOCKET (default: /run/blocklift/worker.sock, or"
              + " $BLOCKLIFT_WORKER, when it exists): the launcher hands the run to it.")
  Path workerSocket;

  @Option(
      names = "--no-worker",
      description = "Run in-process (own FUSE mount and caches) even when a worker is running.")
  boolean noWorker;

  @Override
  public Integer call() throws IOException {
    if (workerSocket != null && !noWorker) {
      throw new dev.blocklift.core.BlockliftException(
          "--worker needs the ./blocklift launcher with curl and runc, which hand the run to the"
              + " worker; this process runs in-process only (--no-worker)");
    }
    ImageName name = ImageName.parse(image);
    ContainerRun.checkHost(true);
    RunStats stats = new RunStats(name);
    String id =
        "blocklift-"
            + ProcessHandle.current().pid()
            + "-"
            + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
    Path work = MountState.runRoot().resolve("runs").resolve(id);
    // The FUSE mount (FFM linking, mount) overlaps with opening the store, keys and manifest.
    CompletableFuture<FuseServer> fuseAhead = ContainerRun.mountAhead(work);
    // Until ContainerRun owns the mount (and its own Ctrl-C hook), Ctrl-C unmounts it from here.
    Thread guard = new Thread(() -> abandon(fuseAhead, work), "blocklift-run-early-cleanup");
    Runtime.getRuntime().addShutdownHook(guard);
    int exit;
    try (TraceRecorder recorder =
            trace == null ? null : TraceRecorder.create(trace, "run " + name);
        Worker w = worker.open()) {
      if (recorder != null) {
        w.fetcher().recordTrace(recorder);
      }
      Worker.Image img = w.open(name);
      stats.opened(img);
      try (Prefetcher warm =
              prefetch == null ? null : Prefetcher.start(w.fetcher(), img.map(), prefetch, 4);
          ContainerRun run =
              ContainerRun.prepare(
                  work,
                  id,
                  ContainerRun.await(fuseAhead),
                  img.device(),
                  img.config(),
                  command,
                  sandbox.sandbox())) {
        unguard(guard);
        stats.mounted();
        exit = run.run();
        stats.ran(exit);
        if (warm != null) {
          stats.prefetched(warm);
        }
      }
      stats.fetched(w);
      w.fetcher().recordTrace(null);
    } catch (IOException | RuntimeException e) {
      unguard(guard);
      abandon(fuseAhead, work);
      throw e;
    }
    stats.closed();
    if (statsJson != null) {
      stats.write(statsJson);
    }
    return exit;
  }

  /**
   * After a failure: unmounts the FUSE mount started ahead (closing is idempotent, so one already
   * taken over and closed by ContainerRun is fine) and removes the run's directory if it is empty.
   */
  private static void abandon(CompletableFuture<FuseServer> fuseAhead, Path work) {
    fuseAhead
        .handle(
            (f, e) -> {
              if (f != null) {
                closeQuietly(f);
              }
              return null;
            })
        .join();
    for (Path p :
        List.of(
            work.resolve("bundle").resolve("rootfs"),
            work.resolve("bundle"),
            work.resolve("fuse"),
            work)) {
      try {
        java.nio.file.Files.deleteIfExists(p);
      } catch (IOException e) {
        // Not empty: ContainerRun reported what it could not clean up.
      }
    }
  }

  private static void unguard(Thread guard) {
    try {
      Runtime.getRuntime().removeShutdownHook(guard);
    } catch (IllegalStateException shuttingDown) {
      // The hook runs (or ran) and cleans up; closing again is harmless.
    }
  }

  private static void closeQuietly(FuseServer f) {
    try {
      f.close();
    } catch (IOException | RuntimeException e) {
      System.err.println("blocklift: unmounting FUSE: " + e.getMessage());
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

    @Option(
        names = "--plaintext-cache",
        paramLabel = "SIZE",
        defaultValue = "256MiB",
        description =
            "Decrypted chunks kept in memory, shared by the worker's images (each image sees only"
                + " its own), e.g. 256MiB (default: ${DEFAULT-VALUE}; 0 = decrypt on every read).")
    String plaintextCache;

    @Option(
        names = "--readahead",
        paramLabel = "CHUNKS",
        defaultValue = "0",
        description =
            "512 KiB chunks fetched ahead of a sequential reader: a number, or auto = 4 when the"
                + " plaintext cache holds 16 chunks or more. Faster big sequential reads, more bytes"
                + " fetched (default: ${DEFAULT-VALUE}: fetch only what is read).")
    String readahead;

    Path home() {
      return Home.resolve(home).dir();
    }

    int readaheadChunks() {
      if (readahead.equalsIgnoreCase("auto")) {
        return -1;
      }
      try {
        int n = Integer.parseInt(readahead.strip());
        if (n >= 0) {
          return n;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new IllegalArgumentException(
          "--readahead must be auto or a number of chunks >= 0, got \"" + readahead + "\"");
    }

    Worker.Options options() {
      return new Worker.Options(
          ByteSize.parse(memoryCache),
          Optional.of(cacheDir != null ? cacheDir : home().resolve("cache")),
          ByteSize.parse(diskCache),
          parseDuration(fetchTimeout),
          TenantId.of(tenant),
          ByteSize.parse(plaintextCache),
          readaheadChunks());
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
              fetchTimeout,
              "--plaintext-cache",
              plaintextCache,
              "--readahead",
              readahead));
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
