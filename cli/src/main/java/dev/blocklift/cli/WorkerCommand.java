package dev.blocklift.cli;

import dev.blocklift.agent.ContainerRun;
import dev.blocklift.agent.MountState;
import dev.blocklift.agent.Worker;
import dev.blocklift.agent.WorkerDaemon;
import dev.blocklift.agent.WorkerServer;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ByteSize;
import dev.blocklift.core.TimeSpan;
import dev.blocklift.functions.Functions;
import dev.blocklift.nbd.Nbd;
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
      names = "--invoke-listen",
      paramLabel = "HOST:PORT",
      description =
          "Serve the Lambda Invoke API on TCP too (needs --token-file): AWS SDKs and the AWS CLI"
              + " sign with the token as their secret key; curl sends Bearer TOKEN.")
  String invokeListen;

  @Option(
      names = "--idle",
      paramLabel = "SPAN",
      defaultValue = "5m",
      description = "How long an idle function sandbox stays warm (default: ${DEFAULT-VALUE}).")
  String idle;

  @Option(
      names = "--max-sandboxes",
      paramLabel = "N",
      defaultValue = "64",
      description = "Function sandboxes at once on this worker (default: ${DEFAULT-VALUE}).")
  int maxSandboxes;

  @Option(
      names = "--sandbox-memory",
      paramLabel = "SIZE",
      description =
          "The sum of the function sandboxes' memory limits, e.g. 16GiB (default: the machine's"
              + " memory).")
  String sandboxMemory;

  @Option(
      names = "--account-concurrency",
      paramLabel = "N",
      defaultValue = "1000",
      description = "Invokes at once over all functions (default: ${DEFAULT-VALUE}).")
  int accountConcurrency;

  @Option(
      names = "--init-timeout",
      paramLabel = "SPAN",
      defaultValue = "10s",
      description =
          "How long a new sandbox's runtime may take to ask for its first event (default:"
              + " ${DEFAULT-VALUE}).")
  String initTimeout;

  @Option(
      names = "--function-scratch",
      paramLabel = "SIZE",
      defaultValue = "512MiB",
      description = "Each function sandbox's writable space (default: ${DEFAULT-VALUE}).")
  String functionScratch;

  @Option(
      names = "--region",
      paramLabel = "REGION",
      defaultValue = "us-east-1",
      description = "The region functions see and ARNs name (default: ${DEFAULT-VALUE}).")
  String region;

  @Option(
      names = "--account-id",
      paramLabel = "ID",
      defaultValue = "000000000000",
      description = "The 12-digit account id of function ARNs (default: ${DEFAULT-VALUE}).")
  String accountId;

  @Option(
      names = "--unmount-on-exit",
      description = "On SIGTERM/Ctrl-C undo every mount instead of handing them over.")
  boolean unmountOnExit;

  @Override
  public Integer call() throws Exception {
    ContainerRun.checkHost(false);
    Optional<InetSocketAddress> tcp = Optional.ofNullable(listen).map(WorkerCommand::hostPort);
    Optional<InetSocketAddress> invokeTcp =
        Optional.ofNullable(invokeListen).map(WorkerCommand::hostPort);
    WorkerServer.Listen how =
        new WorkerServer.Listen(socket, socketMode, tcp, Optional.ofNullable(tokenFile), invokeTcp);
    Functions.Options defaults = Functions.Options.defaults(worker.home().resolve("functions"));
    Functions.Options functions =
        new Functions.Options(
            defaults.home(),
            TimeSpan.parse(idle).requirePositive("--idle").toDuration(),
            maxSandboxes,
            sandboxMemory == null ? defaults.sandboxMemory() : ByteSize.parse(sandboxMemory),
            accountConcurrency,
            TimeSpan.parse(initTimeout).requirePositive("--init-timeout").toDuration(),
            ByteSize.parse(functionScratch),
            region,
            accountId);
    Path stateDir = state != null ? state : MountState.runRoot().resolve("worker");
    List<Path> roots = mountRoots.isEmpty() ? List.of(Path.of("/mnt")) : mountRoots;
    WorkerConfig config = worker.config();
    checkHeap(config, Runtime.getRuntime().maxMemory());
    Worker w = ReadPath.worker(config);
    WorkerDaemon daemon;
    try {
      daemon =
          WorkerDaemon.start(
              w,
              stateDir,
              roots,
              new WorkerRunParser(),
              how,
              List.of(Functions.api(functions), Nbd.api()));
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
            + daemon.tcpPort().map(p -> " and tcp:" + p).orElse("")
            + daemon.invokePort().map(p -> "; Invoke API on tcp:" + p).orElse(""));
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
      throw new BlockliftException("a listen address must be HOST:PORT, got \"" + text + "\"");
    }
    try {
      int port = Integer.parseInt(text.substring(i + 1));
      if (port < 0 || port > 65535) {
        throw new NumberFormatException();
      }
      return new InetSocketAddress(text.substring(0, i), port);
    } catch (NumberFormatException e) {
      throw new BlockliftException("a listen port must be 0-65535, got \"" + text + "\"");
    }
  }
}
