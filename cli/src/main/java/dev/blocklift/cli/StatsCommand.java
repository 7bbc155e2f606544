package dev.blocklift.cli;

import dev.blocklift.agent.WorkerClient;
import dev.blocklift.core.BlockliftException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code blocklift stats}: prints a running worker's metrics. */
@Command(
    name = "stats",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "Print a running worker's metrics (Prometheus text).")
public final class StatsCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin WorkerSocket worker;

  @Override
  public Integer call() throws Exception {
    Path socket = worker.socket();
    WorkerClient.Answer a;
    try {
      a = new WorkerClient(socket, Duration.ofSeconds(10)).get("/metrics");
    } catch (IOException e) {
      throw new BlockliftException(
          "no worker at " + socket + " (" + e.getMessage() + "); start one with blocklift worker",
          e);
    }
    if (a.status() != 200) {
      throw new BlockliftException(
          "worker at " + socket + " answered " + a.status() + ": " + a.body().strip());
    }
    spec.commandLine().getOut().print(a.body());
    spec.commandLine().getOut().flush();
    return 0;
  }
}
