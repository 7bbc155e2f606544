package dev.blocklift.cli;

import dev.blocklift.agent.AgentServer;
import dev.blocklift.agent.ContainerRun;
import dev.blocklift.agent.MountState;
import dev.blocklift.agent.Worker;
import dev.blocklift.cache.sim.TraceRecorder;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code blocklift agent}: a daemon holding several mounts over one shared cache. */
@Command(
    name = "agent",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description =
        "Run the worker agent in the foreground: mounts over one shared cache, controlled over"
            + " HTTP on loopback (POST /mount?image=&dir=[&ro=true], POST /umount?dir=, GET"
            + " /mounts, GET /metrics in Prometheus text). Ctrl-C unmounts everything.")
public final class AgentCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--listen",
      paramLabel = "PORT",
      defaultValue = "7411",
      description = "Port on 127.0.0.1 (default: ${DEFAULT-VALUE}).")
  int port;

  @Mixin RunCommand.WorkerOptions worker;

  @Option(
      names = "--trace",
      paramLabel = "FILE",
      description =
          "Record every chunk read of every mount to FILE (the cache simulator's trace format),"
              + " written when the agent stops.")
  Path trace;

  @Override
  public Integer call() throws Exception {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("--listen must be a port 0-65535, got " + port);
    }
    ContainerRun.checkHost(false);
    TraceRecorder recorder = trace == null ? null : TraceRecorder.create(trace, "agent");
    Worker w = worker.open();
    w.fetcher().recordTrace(recorder);
    AgentServer agent =
        AgentServer.start(
            w,
            new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port),
            MountState.runRoot().resolve("agent-" + port));
    CountDownLatch done = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    agent.close();
                    w.close();
                    if (recorder != null) {
                      recorder.close();
                    }
                  } catch (Exception e) {
                    System.err.println("blocklift agent: cleanup: " + e.getMessage());
                  } finally {
                    done.countDown();
                  }
                }));
    spec.commandLine()
        .getOut()
        .println(
            "blocklift agent listening on http://"
                + agent.address().getHostString()
                + ":"
                + agent.address().getPort());
    spec.commandLine().getOut().flush();
    done.await();
    return 0;
  }
}
