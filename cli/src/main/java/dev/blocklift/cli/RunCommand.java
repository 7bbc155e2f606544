package dev.blocklift.cli;

import dev.blocklift.agent.ContainerRun;
import dev.blocklift.agent.FuseServer;
import dev.blocklift.agent.MountState;
import dev.blocklift.agent.Prefetcher;
import dev.blocklift.agent.Worker;
import dev.blocklift.cache.sim.TraceRecorder;
import dev.blocklift.core.ImageName;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

  /**
   * The options every command that runs images shares: {@link HomeOptions} plus the fleet and the
   * cache tiers. Each flag overrides the key of the same name in {@code HOME/config.properties};
   * {@link ReadPath} builds the worker from the result.
   */
  public static final class WorkerOptions {
    @Mixin HomeOptions homeOptions;

    @Option(
        names = "--fleet",
        paramLabel = "FILE",
        description =
            "Cache fleet membership: host:port lines (# comments), re-read when it changes; empty"
                + " or missing = no fleet (default: fleet=, else none).")
    Path fleet;

    @Option(
        names = "--cache-dir",
        paramLabel = "DIR",
        description = "Local disk cache tier directory (default: cache-dir=, else HOME/cache).")
    Path cacheDir;

    @Option(
        names = "--memory-cache",
        paramLabel = "SIZE",
        description = "Memory cache tier size, e.g. 512MiB (default: 512MiB; 0 = none).")
    String memoryCache;

    @Option(
        names = "--disk-cache",
        paramLabel = "SIZE",
        description = "Disk cache tier size, e.g. 4GiB (default: 4GiB; 0 = none).")
    String diskCache;

    @Option(
        names = "--fetch-timeout",
        paramLabel = "SPAN",
        description =
            "A chunk not had within this fails the read with EIO, e.g. 500ms, 30s, 2m, 1h"
                + " (default: 30s).")
    String fetchTimeout;

    @Option(
        names = "--retry-after",
        paramLabel = "SPAN",
        description =
            "A chunk whose fetch failed or timed out is not fetched again for this long: its reads"
                + " fail at once instead of each waiting out the fetch timeout (default: 5s; 0 ="
                + " always retry).")
    String retryAfter;

    @Option(
        names = "--plaintext-cache",
        paramLabel = "SIZE",
        description =
            "Decrypted chunks kept in memory, shared by the worker's images (each image sees only"
                + " its own), e.g. 256MiB (default: 256MiB; 0 = decrypt on every read).")
    String plaintextCache;

    @Option(
        names = "--readahead",
        paramLabel = "CHUNKS",
        description =
            "512 KiB chunks fetched ahead of a sequential reader: a number, or auto = 4 when the"
                + " plaintext cache holds 16 chunks or more. Faster big sequential reads, more bytes"
                + " fetched (default: 0: fetch only what is read).")
    String readahead;

    Path home() {
      return homeOptions.home().dir();
    }

    /** The flags given, by config key. */
    Map<String, String> flags() {
      Map<String, String> m = homeOptions.flags();
      HomeOptions.put(m, "fleet", fleet);
      HomeOptions.put(m, "cache-dir", cacheDir);
      HomeOptions.put(m, "memory-cache", memoryCache);
      HomeOptions.put(m, "disk-cache", diskCache);
      HomeOptions.put(m, "plaintext-cache", plaintextCache);
      HomeOptions.put(m, "readahead", readahead);
      HomeOptions.put(m, "fetch-timeout", fetchTimeout);
      HomeOptions.put(m, "retry-after", retryAfter);
      return m;
    }

    /** The flags over HOME/config.properties over the defaults, validated. */
    WorkerConfig config() throws IOException {
      return WorkerConfig.resolve(homeOptions.home(), flags());
    }

    Worker open() throws IOException {
      return ReadPath.worker(config());
    }

    /** The options as command-line arguments (for a child process, which reads the same file). */
    List<String> args() {
      List<String> a = new ArrayList<>(List.of("--home", home().toString()));
      flags().forEach((k, v) -> a.addAll(List.of("--" + k, v)));
      return a;
    }
  }
}
