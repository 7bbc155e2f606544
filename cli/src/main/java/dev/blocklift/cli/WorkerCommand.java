package dev.blocklift.cli;

import dev.blocklift.agent.ContainerRun;
import dev.blocklift.agent.MountState;
import dev.blocklift.agent.Worker;
import dev.blocklift.agent.WorkerDaemon;
import dev.blocklift.agent.WorkerServer;
import dev.blocklift.core.BlockliftException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code blocklift worker}: the long-running data plane of one machine. */
@Command(
    name = "worker",
    aliases = "agent",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = {
      "Run the worker in the foreground: one shared cache (memory, disk, fleet, store) for every"
          + " mount and run on this machine, its API on a unix socket (root or group blocklift:"
          + " POST /mount?image=&dir=[&ro=true], POST /umount?dir=, GET /mounts, GET /metrics)."
          + " `blocklift run` uses it when its socket exists.",
      "SIGTERM or Ctrl-C hands the mounts over to the next worker (containers pause, then go on"
          + " when a worker starts again); --unmount-on-exit undoes them instead. `agent` is an"
          + " alias kept for one release."
    })
public final class WorkerCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin RunCommand.WorkerOptions worker;

  @Option(
      names = "--socket",
      paramLabel = "PATH",
      defaultValue = "/run/blocklift/worker.sock",
      description = "The API's unix socket (default: ${DEFAULT-VALUE}).")
  Path socket;

  @Option(
      names = "--socket-mode",
      paramLabel = "MODE",
      defaultValue = "rw-rw----",
      description =
          "The socket's permissions (default: ${DEFAULT-VALUE}); the socket belongs to group"
              + " blocklift when that group exists.")
  String socketMode;

  @Option(
      names = "--listen",
      paramLabel = "HOST:PORT",
      description = "Also serve the API on TCP (needs --token-file; callers send Bearer TOKEN).")
  String listen;

  @Option(
      names = "--token-file",
      paramLabel = "FILE",
      description = "The bearer token TCP callers must send (a 0600 file, at least 16 chars).")
  Path tokenFile;

  @Option(
      names = "--mount-root",
      paramLabel = "DIR",
      description = "Where user mounts may go (repeatable; default: /mnt).")
  List<Path> mountRoots = new ArrayList<>();

  @Option(
      names = "--state",
      paramLabel = "DIR",
      description = "The worker's state directory (default: /run/blocklift/worker).")
  Path state;

  @Option(
      names = "--unmount-on-exit",
      description = "On SIGTERM/Ctrl-C undo every mount instead of handing them over.")
  boolean unmountOnExit;

  @Override
  public Integer call() throws Exception {
    ContainerRun.checkHost(false);
    Optional<InetSocketAddress> tcp = Optional.ofNullable(listen).map(WorkerCommand::hostPort);
    WorkerServer.Listen how =
        new WorkerServer.Listen(socket, socketMode, tcp, Optional.ofNullable(tokenFile));
    Path stateDir = state != null ? state : MountState.runRoot().resolve("worker");
    List<Path> roots = mountRoots.isEmpty() ? List.of(Path.of("/mnt")) : mountRoots;
    WorkerConfig config = worker.config();
    checkHeap(config, Runtime.getRuntime().maxMemory());
    Worker w = ReadPath.worker(config);
    WorkerDaemon daemon;
    try {
      daemon = WorkerDaemon.start(w, stateDir, roots, new WorkerRunParser(), how);
    } catch (Exception e) {
      w.close();
      throw e;
    }
    PrintWriter out = spec.commandLine().getOut();
    for (String line : daemon.cleaned()) {
      out.println("blocklift worker: cleaned up: " + line);
    }
    CountDownLatch done = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    daemon.stop(unmountOnExit);
                  } catch (Exception e) {
                    System.err.println("blocklift worker: stopping: " + e.getMessage());
                  } finally {
                    done.countDown();
                  }
                },
                "blocklift-worker-stop"));
    out.println(
        "blocklift worker: serving "
            + daemon.mountCount()
            + " mount(s); API on unix:"
            + socket
            + daemon.tcpPort().map(p -> " and tcp:" + p).orElse(""));
    out.flush();
    done.await();
    return 0;
  }

  /**
   * The worker's caches live on its heap: refuses a configuration whose memory tier and plaintext
   * cache (plus a working margin) do not fit, instead of failing later with OutOfMemoryError.
   */
  static void checkHeap(WorkerConfig c, long maxHeap) {
    long margin = 64L << 20;
    long need = c.memoryCache().bytes() + c.plaintextCache().bytes() + margin;
    if (need > maxHeap) {
      throw new BlockliftException(
          "memory-cache ("
              + c.memoryCache()
              + ") + plaintext-cache ("
              + c.plaintextCache()
              + ") + 64MiB of working memory do not fit the worker's heap ("
              + (maxHeap >> 20)
              + "MiB): lower them (--memory-cache, --plaintext-cache or config.properties) or"
              + " raise BLOCKLIFT_WORKER_HEAP");
    }
  }

  static InetSocketAddress hostPort(String text) {
    int i = text.lastIndexOf(':');
    if (i <= 0) {
      throw new BlockliftException("--listen must be HOST:PORT, got \"" + text + "\"");
    }
    try {
      int port = Integer.parseInt(text.substring(i + 1));
      if (port < 0 || port > 65535) {
        throw new NumberFormatException();
      }
      return new InetSocketAddress(text.substring(0, i), port);
    } catch (NumberFormatException e) {
      throw new BlockliftException("--listen port must be 0-65535, got \"" + text + "\"");
    }
  }
}
