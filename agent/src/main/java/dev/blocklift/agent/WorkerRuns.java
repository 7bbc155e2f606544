package dev.blocklift.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ImageName;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Containers started through the worker ({@code blocklift run} with a worker running): the worker
 * mounts the image and assembles the sandbox's rootfs and bundle; the client starts {@code runc
 * run} itself (so stdio, the exit code and Ctrl-C are plainly the container's) and reports the exit.
 * A run whose client died (kill -9) is reaped: its container killed and deleted, its mounts undone.
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
      RunRequest request, long startedNanos, long preparedNanos, Map<String, Long> before) {}

  private final WorkerMounts mounts;
  private final Parser parser;
  private final Map<String, Started> started = new ConcurrentHashMap<>();
  private final LongAdder runsTotal = new LongAdder();
  private final LongAdder reaped = new LongAdder();
  private final ScheduledExecutorService reaper =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().daemon().name("blocklift-run-reaper").unstarted(r));

  public WorkerRuns(WorkerMounts mounts, Parser parser) {
    this.mounts = mounts;
    this.parser = parser;
    reaper.scheduleWithFixedDelay(this::reapQuietly, 2, 2, TimeUnit.SECONDS);
  }

  /** Mounts and writes the bundle of a run; answers what the client needs. */
  Map<String, String> prepare(List<String> argv, Path cwd, long clientPid) throws IOException {
    long t0 = System.nanoTime();
    RunRequest req = parser.parse(argv, cwd);
    long clientStart = Processes.startTime(clientPid).orElseThrow(
        () -> new BlockliftException("client process " + clientPid + " does not exist"));
    String id =
        "blocklift-" + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
    Path work = SecureDirs.ensure(mounts.state().resolve("runs").resolve(id));
    Path lower = Files.createDirectories(work.resolve("lower"));
    Map<String, Long> before = mounts.worker().counters();
    WorkerMounts.Live live =
        mounts.attachAndMount("run", req.image(), lower, true, id, clientPid, clientStart);
    mounts.registerRun(live);
    try {
      if (req.trace().isPresent() && live.device() instanceof LazyDevice lazy) {
        lazy.recordTrace("run " + req.image());
      }
      List<String> extra =
          ContainerRun.mountSandbox(work, lower, req.sandbox(), live.config(), req.command())
              .stream()
              .map(Path::toString)
              .toList();
      mounts.update(live.record().withLoop(live.record().loopDevice(), extra));
    } catch (IOException | RuntimeException e) {
      try {
        mounts.remove(live);
        MountDaemon.deleteTree(work);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    started.put(id, new Started(req, t0, System.nanoTime(), before));
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
    Map<String, Object> stats = new LinkedHashMap<>();
    stats.put("image", live.record().image());
    stats.put("exitCode", exitCode);
    stats.put("via", "worker");
    if (s != null) {
      long now = System.nanoTime();
      stats.put("prepareSeconds", (s.preparedNanos() - s.startedNanos()) / 1e9);
      stats.put("runSeconds", (now - s.preparedNanos()) / 1e9);
      if (launchedAt != null && !launchedAt.isBlank()) {
        stats.put("launchedAt", launchedAt);
      }
      Map<String, Long> after = mounts.worker().counters();
      Map<String, Long> delta = new LinkedHashMap<>();
      after.forEach((k, v) -> delta.put(k, v - s.before().getOrDefault(k, 0L)));
      stats.put("storeGets", delta.getOrDefault("storeGets", 0L));
      stats.put("bytesFetched", delta.getOrDefault("storeBytes", 0L));
      stats.put("tiers", delta);
    }
    if (live.device() instanceof LazyDevice lazy) {
      stats.put("chunkFetches", lazy.fetches());
    }
    teardown(live);
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

  private void teardown(WorkerMounts.Live live) throws IOException {
    String id = live.record().runId();
    Commands.run(List.of("runc", "delete", "--force", id));
    mounts.remove(live);
    MountDaemon.deleteTree(mounts.state().resolve("runs").resolve(id));
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
      if (live.isEmpty()) {
        continue;
      }
      Commands.run(List.of("runc", "kill", r.runId(), "KILL"));
      started.remove(r.runId());
      teardown(live.get());
      reaped.increment();
      LOG.log(
          System.Logger.Level.WARNING,
          "reaped run " + r.runId() + " of " + r.image() + ": its client " + r.clientPid() + " died");
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

  @Override
  public void close() {
    reaper.shutdownNow();
  }

  static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  static List<String> copy(List<String> l) {
    return new ArrayList<>(l);
  }
}
