package dev.blocklift.agent;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * {@code blocklift worker}: one long-running process per machine holding the tiers (in the given
 * {@link Worker}), the mounts and the runs, with its API on a unix socket ({@link WorkerServer}).
 * Started over the state a previous worker left, it takes those mounts back ({@link WorkerMounts}).
 */
public final class WorkerDaemon implements AutoCloseable {
  private final Worker worker;
  private final WorkerMounts mounts;
  private final WorkerRuns runs;
  private final WorkerContainers containers;
  private final WorkerServer server;
  private final StateLock lock;
  private boolean closed;

  private WorkerDaemon(
      Worker worker,
      WorkerMounts mounts,
      WorkerRuns runs,
      WorkerContainers containers,
      WorkerServer server,
      StateLock lock) {
    this.lock = lock;
    this.containers = containers;
    this.worker = worker;
    this.mounts = mounts;
    this.runs = runs;
    this.server = server;
  }

  /**
   * Starts a worker over {@code worker} (which it then owns).
   *
   * @param state the worker's state directory (0700): FUSE, mount records, overlays, runs
   * @param mountRoots where user mounts may go (besides the state directory)
   */
  public static WorkerDaemon start(
      Worker worker,
      Path state,
      List<Path> mountRoots,
      WorkerRuns.Parser parser,
      WorkerServer.Listen listen)
      throws IOException {
    return start(worker, state, mountRoots, parser, listen, List.of());
  }

  /**
   * As the other {@code start}, also serving the APIs {@code apis} make (the functions).
   *
   * @param apis each makes an API over the worker's containers, served on its socket and listeners
   */
  public static WorkerDaemon start(
      Worker worker,
      Path state,
      List<Path> mountRoots,
      WorkerRuns.Parser parser,
      WorkerServer.Listen listen,
      List<WorkerApi.Factory> apis)
      throws IOException {
    StateLock lock = StateLock.acquire(state);
    WorkerMounts mounts;
    try {
      mounts = WorkerMounts.open(worker, state, new MountTargets(mountRoots));
    } catch (IOException | RuntimeException e) {
      lock.close();
      throw e;
    }
    WorkerContainers containers = new WorkerContainers(mounts);
    WorkerRuns runs = new WorkerRuns(mounts, containers, parser, java.time.Clock.systemUTC());
    try {
      WorkerServer server =
          WorkerServer.start(
              mounts,
              runs,
              listen,
              CallerPolicy.system(),
              token -> {
                List<WorkerApi> opened = new java.util.ArrayList<>();
                try {
                  for (WorkerApi.Factory f : apis) {
                    opened.add(f.open(new WorkerApi.Context(containers, token, state)));
                  }
                } catch (IOException | RuntimeException e) {
                  opened.forEach(WorkerApi::close);
                  throw e;
                }
                return opened;
              });
      return new WorkerDaemon(worker, mounts, runs, containers, server, lock);
    } catch (IOException | RuntimeException e) {
      containers.close();
      runs.close();
      mounts.handOver();
      lock.close();
      throw e;
    }
  }

  /** What the start-up cleaned up of a previous worker's state, one line each. */
  public List<String> cleaned() {
    return mounts.cleaned();
  }

  /** How many mounts (user mounts and runs) the worker serves now. */
  public int mountCount() {
    return mounts.list().size();
  }

  public Optional<Integer> tcpPort() {
    return server.tcpPort();
  }

  /** The invoke listener's port, when {@code --invoke-listen} was given. */
  public Optional<Integer> invokePort() {
    return server.invokePort();
  }

  /**
   * Stops the worker. With {@code unmount}, or when it serves no mount, everything is undone;
   * otherwise the mounts are handed over for the next worker to take back (an upgrade, SIGTERM).
   */
  public synchronized void stop(boolean unmount) throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      server.close(); // and its APIs: no new sandbox from here on
      containers.close();
      runs.close();
      if (unmount || mounts.list().isEmpty()) {
        mounts.close();
      } else {
        mounts.handOver();
      }
    } finally {
      try {
        worker.close();
      } finally {
        lock.close();
      }
    }
  }

  @Override
  public void close() throws IOException {
    stop(true);
  }
}
