package dev.blocklift.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ImageName;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Containers started through the worker ({@code blocklift run} with a worker running): the worker
 * mounts the image and assembles the sandbox's rootfs and bundle; the client starts {@code runc
 * run} itself (so stdio, the exit code and Ctrl-C are plainly the container's) and reports the
 * exit. A run whose client died (kill -9) is reaped: its container killed and deleted, its mounts
 * undone.
 *
 * <p>Per-run figures ({@code --stats-json}) are this run's device's chunk fetches and the worker's
 * tier counters between prepare and exit; with concurrent runs of images that share chunks, the
 * tier deltas include the neighbours' fetches (the device's own counts do not).
 */
public final class WorkerRuns implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(WorkerRuns.class.getName());
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Parses {@code blocklift run} arguments as the CLI does (the CLI provides it). */
  public interface Parser {
    RunRequest parse(List<String> argv, Path cwd);
  }

  /** One parsed run request. Paths are absolute (resolved against the client's directory). */
  public record RunRequest(
      ImageName image,
      List<String> command,
      ContainerRun.Sandbox sandbox,
      Optional<Path> statsJson,
      Optional<Path> trace) {}

  private record Started(
      RunRequest request,
      Instant received,
      Instant opened,
      Instant mounted,
      Map<String, Long> before) {}

  private final WorkerMounts mounts;
  private final WorkerContainers containers;
  private final Parser parser;
  private final Clock clock;
  private final java.util.concurrent.ScheduledFuture<?> reaping;
  private final Map<String, Started> started = new ConcurrentHashMap<>();
  private final java.util.Set<String> finishing = ConcurrentHashMap.newKeySet();
  private final java.util.concurrent.ExecutorService teardowns =
      Executors.newVirtualThreadPerTaskExecutor();
  private final LongAdder runsTotal = new LongAdder();
  private final LongAdder reaped = new LongAdder();
  private final ScheduledExecutorService reaper =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().daemon().name("blocklift-run-reaper").unstarted(r));

  WorkerRuns(WorkerMounts mounts, WorkerContainers containers, Parser parser, Clock clock) {
    this.clock = clock;
    this.mounts = mounts;
    this.containers = containers;
    this.parser = parser;
    this.reaping = reaper.scheduleWithFixedDelay(this::reapQuietly, 2, 2, TimeUnit.SECONDS);
  }

  /** Mounts and writes the bundle of a run; answers what the client needs. */
  Map<String, String> prepare(List<String> argv, Path cwd, long clientPid) throws IOException {
    Instant received = clock.instant();
    RunRequest req = parser.parse(argv, cwd);
    long clientStart =
        Processes.startTime(clientPid)
            .orElseThrow(
                () -> new BlockliftException("client process " + clientPid + " does not exist"));
    String id = WorkerContainers.newId();
    Map<String, Long> before = mounts.worker().counters();
    Instant[] opened = new Instant[1];
    containers.prepare(
        id,
        req.image(),
        req.sandbox(),
        req.command(),
        OciBundle.Extras.NONE,
        clientPid,
        clientStart,
        live -> {
          opened[0] = clock.instant();
          if (req.trace().isPresent() && live.device() instanceof LazyDevice lazy) {
            lazy.recordTrace("run " + req.image());
          }
        });
    Path work = mounts.state().resolve("runs").resolve(id);
    started.put(id, new Started(req, received, opened[0], clock.instant(), before));
    runsTotal.increment();
    Map<String, String> answer = new LinkedHashMap<>();
    answer.put("id", id);
    answer.put("bundle", work.resolve("bundle").toString());
    answer.put("stats", req.statsJson().map(Path::toString).orElse(""));
    answer.put("trace", req.trace().map(Path::toString).orElse(""));
    return answer;
  }

  /** The client's runc exited: the run's figures as JSON; its mounts are undone. */
  byte[] finish(String id, int exitCode, String launchedAt) throws IOException {
    WorkerMounts.Live live =
        mounts
            .run(id)
            .orElseThrow(() -> new WorkerServer.ApiError(404, "no run " + id + " on this worker"));
    Started s = started.remove(id);
    Instant exited = clock.instant();
    Map<String, Object> stats = new LinkedHashMap<>();
    stats.put("image", live.record().image());
    stats.put("exitCode", exitCode);
    stats.put("via", "worker");
    if (s != null) {
      stats.put("requestSeconds", phase(launchedAt, s.received(), s.received()));
      stats.put("openedSeconds", phase(launchedAt, s.received(), s.opened()));
      stats.put("mountedSeconds", phase(launchedAt, s.received(), s.mounted()));
      stats.put("containerExitedSeconds", phase(launchedAt, s.received(), exited));
    }
    if (live.device() instanceof LazyDevice lazy) {
      long dataBytes = lazy.map() instanceof ManifestChunkMap m ? m.dataBytes() : lazy.size();
      stats.put("deviceBytes", lazy.size());
      stats.put("imageDataBytes", dataBytes);
      stats.put("chunkFetches", lazy.fetches());
      stats.put("bytesFetched", lazy.fetchedBytes());
      stats.put(
          "bytesFetchedShareOfImage",
          dataBytes == 0 ? 0.0 : (double) lazy.fetchedBytes() / dataBytes);
    }
    if (s != null) {
      Map<String, Long> after = mounts.worker().counters();
      Map<String, Long> delta = new LinkedHashMap<>();
      after.forEach((k, v) -> delta.put(k, v - s.before().getOrDefault(k, 0L)));
      long storeGets = delta.getOrDefault("storeGets", 0L);
      stats.put("storeGets", storeGets);
      stats.put("storeBytes", delta.getOrDefault("storeBytes", 0L));
      // Which tier served the chunks this run fetched (worker-wide deltas over the run).
      Map<String, Long> servedBy = new LinkedHashMap<>();
      long tiers = 0;
      for (Map.Entry<String, Long> e : delta.entrySet()) {
        if (e.getKey().endsWith("Hits")) {
          servedBy.put(e.getKey().substring(0, e.getKey().length() - 4), e.getValue());
          tiers += e.getValue();
        }
      }
      servedBy.put("fleet", Math.max(0, delta.getOrDefault("fetches", 0L) - tiers - storeGets));
      servedBy.put("store", storeGets);
      stats.put("servedBy", servedBy);
    }
    // The client has its answer before the mounts are undone: teardown is off its path.
    String runId = live.record().runId();
    finishing.add(runId);
    teardowns.execute(
        () -> {
          try {
            teardown(live, false);
          } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cleanup of run " + runId + ": " + e.getMessage());
          } finally {
            finishing.remove(runId);
          }
        });
    return JSON.writeValueAsBytes(stats);
  }

  /** The chunk-read trace of a run (an empty trace if none was recorded). */
  String trace(String id) {
    WorkerMounts.Live live =
        mounts
            .run(id)
            .orElseThrow(() -> new WorkerServer.ApiError(404, "no run " + id + " on this worker"));
    return live.device() instanceof LazyDevice lazy ? lazy.trace() : "";
  }

  /** Seconds since the client's launcher started, else since the worker received the run. */
  private static double phase(String launchedAt, Instant received, Instant at) {
    return RunClock.secondsSince(launchedAt, at)
        .orElse(java.time.Duration.between(received, at).toNanos() / 1e9);
  }

  /**
   * Undoes a run's mounts and work directory; {@code kill} first kills and deletes its container (a
   * reaped run: `runc run` of a client that exited normally has already deleted it).
   */
  private void teardown(WorkerMounts.Live live, boolean kill) throws IOException {
    String id = live.record().runId();
    if (kill) {
      Commands.run(List.of("runc", "kill", id, "KILL"));
      Commands.run(List.of("runc", "delete", "--force", id));
    }
    containers.discard(live);
  }

  private void reapQuietly() {
    try {
      reapDead();
    } catch (IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "reaping dead runs: " + e.getMessage());
    }
  }

  /** Kills and cleans up every run whose client process is gone. */
  void reapDead() throws IOException {
    for (MountRecord r : mounts.list()) {
      if (!r.isRun() || !r.status().equals("mounted")) {
        continue;
      }
      Optional<Long> start = Processes.startTime(r.clientPid());
      if (start.isPresent() && start.get() == r.clientStart()) {
        continue;
      }
      Optional<WorkerMounts.Live> live = mounts.run(r.runId());
      if (live.isEmpty() || finishing.contains(r.runId())) {
        continue;
      }
      started.remove(r.runId());
      teardown(live.get(), true);
      reaped.increment();
      LOG.log(
          System.Logger.Level.WARNING,
          "reaped run "
              + r.runId()
              + " of "
              + r.image()
              + ": its client "
              + r.clientPid()
              + " died");
    }
  }

  String prometheus() {
    return "# TYPE blocklift_worker_runs_total counter\nblocklift_worker_runs_total "
        + runsTotal.sum()
        + "\n# TYPE blocklift_worker_runs_reaped_total counter\nblocklift_worker_runs_reaped_total "
        + reaped.sum()
        + "\n# TYPE blocklift_worker_runs_active gauge\nblocklift_worker_runs_active "
        + mounts.list().stream().filter(MountRecord::isRun).count()
        + "\n";
  }

  /** Stops reaping and waits (bounded) for the teardowns of finished runs. */
  @Override
  public void close() {
    reaping.cancel(false);
    reaper.shutdownNow();
    teardowns.shutdown();
    try {
      if (!teardowns.awaitTermination(60, TimeUnit.SECONDS)) {
        LOG.log(System.Logger.Level.WARNING, "run teardowns still going after 60 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
