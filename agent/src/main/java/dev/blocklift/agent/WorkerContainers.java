package dev.blocklift.agent;

import dev.blocklift.core.ImageName;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * Containers of the worker's own: a lazily mounted image assembled into a sandbox rootfs and run
 * with {@code runc run} as the worker's child (function sandboxes). The rootfs assembly is the one
 * {@code blocklift run} uses ({@link #prepare}); the mounts are recorded as runs owned by the
 * worker's own process, so that a later worker reaps the containers and mounts a dead worker left
 * (their owner is gone), exactly as it reaps a dead client's run.
 */
public final class WorkerContainers implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(WorkerContainers.class.getName());

  private final WorkerMounts mounts;
  private final long ownPid = ProcessHandle.current().pid();
  private final long ownStart;
  private final java.util.Set<Container> live = ConcurrentHashMap.newKeySet();

  WorkerContainers(WorkerMounts mounts) {
    this.mounts = mounts;
    this.ownStart =
        Processes.startTime(ownPid)
            .orElseThrow(() -> new IllegalStateException("cannot read the worker's start time"));
  }

  /** The worker whose mounts these containers use. */
  Worker worker() {
    return mounts.worker();
  }

  /**
   * What to run.
   *
   * @param image the image whose rootfs the container gets (lazily mounted)
   * @param sandbox scratch, tmpfs, memory and cpu limits
   * @param command replaces the image's cmd (after its entrypoint) unless empty
   * @param env entries added to (and overriding) the image's environment
   * @param listen when present, the container gets a network namespace of its own whose loopback
   *     holds a worker listener on this address ({@link Container#listener()}); otherwise the
   *     sandbox's network setting applies
   */
  public record Spec(
      ImageName image,
      ContainerRun.Sandbox sandbox,
      List<String> command,
      List<String> env,
      Optional<InetSocketAddress> listen) {
    public Spec {
      command = List.copyOf(command);
      env = List.copyOf(env);
    }
  }

  /**
   * Checks that {@code image} exists and opens (what a function's create checks before any sandbox
   * starts); throws a {@link dev.blocklift.core.BlockliftException} saying why not.
   */
  public void checkImage(ImageName image) throws IOException {
    mounts.worker().check(image);
  }

  /** A bundle ready to run: its mounts made and recorded. */
  record Prepared(String id, Path work, WorkerMounts.Live live) {
    Path bundle() {
      return work.resolve("bundle");
    }
  }

  /** Ids of worker-made containers: runc names, cgroup names and run ids at once. */
  static String newId() {
    return "blocklift-" + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
  }

  /**
   * Mounts {@code image}, assembles the sandbox's rootfs and writes the bundle, recorded as a run
   * of {@code ownerPid}; on failure nothing is left. {@code beforeSandbox} sees the image's mount
   * before the sandbox is assembled on it (a trace starts there).
   */
  Prepared prepare(
      String id,
      ImageName image,
      ContainerRun.Sandbox sandbox,
      List<String> command,
      OciBundle.Extras extras,
      long ownerPid,
      long ownerStart,
      Consumer<WorkerMounts.Live> beforeSandbox)
      throws IOException {
    Path work = SecureDirs.ensure(mounts.state().resolve("runs").resolve(id));
    Path lower = Files.createDirectories(work.resolve("lower"));
    WorkerMounts.Live l =
        mounts.attachAndMount("run", image, lower, true, id, ownerPid, ownerStart);
    mounts.registerRun(l);
    try {
      beforeSandbox.accept(l);
      List<String> extra =
          ContainerRun.mountSandbox(work, lower, sandbox, l.config(), command, extras).stream()
              .map(Path::toString)
              .toList();
      WorkerMounts.Live updated =
          mounts.update(l.record().withLoop(l.record().loopDevice(), extra));
      return new Prepared(id, work, updated);
    } catch (IOException | RuntimeException e) {
      try {
        discard(l);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /** Undoes a prepared run's mounts and deletes its work directory. */
  void discard(WorkerMounts.Live l) throws IOException {
    mounts.remove(l);
    MountDaemon.deleteTree(mounts.state().resolve("runs").resolve(l.record().runId()));
  }

  /**
   * Starts a container: mounts, bundle, network namespace and {@code runc run}. Each line the
   * container writes to stdout or stderr goes to {@code output} (cut at 8 KiB).
   */
  public Container start(Spec spec, Consumer<String> output) throws IOException {
    ContainerRun.checkHost(true);
    String id = newId();
    NetNamespace ns = null;
    if (spec.listen().isPresent()) {
      ns = NetNamespace.withListener(spec.listen().get());
    }
    Prepared p;
    try {
      String cgroup = "/blocklift/" + id;
      OciBundle.Extras extras =
          new OciBundle.Extras(
              spec.env(), Optional.ofNullable(ns).map(NetNamespace::path), Optional.of(cgroup));
      p =
          prepare(
              id, spec.image(), spec.sandbox(), spec.command(), extras, ownPid, ownStart, l -> {});
    } catch (IOException | RuntimeException e) {
      if (ns != null) {
        ns.close();
      }
      throw e;
    }
    Container c = new Container(this, p, ns, output);
    live.add(c);
    try {
      c.launch();
    } catch (IOException | RuntimeException e) {
      try {
        c.close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    return c;
  }

  void closed(Container c) {
    live.remove(c);
  }

  /** Kills and removes every container still running. */
  @Override
  public void close() {
    for (Container c : List.copyOf(live)) {
      try {
        c.close();
      } catch (IOException | RuntimeException e) {
        LOG.log(
            System.Logger.Level.WARNING, "removing container " + c.id() + ": " + e.getMessage());
      }
    }
  }
}
