package dev.blocklift.cli;

import dev.blocklift.core.BlockliftException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code blocklift stats}: prints a running agent's metrics. */
@Command(
    name = "stats",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "Print a running agent's metrics (Prometheus text).")
public final class StatsCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--agent",
      paramLabel = "URL",
      defaultValue = "http://127.0.0.1:7411",
      description = "The agent (default: ${DEFAULT-VALUE}).")
  String agent;

  @Override
  public Integer call() throws Exception {
    URI uri;
    try {
      uri = URI.create(agent.replaceAll("/+$", "") + "/metrics");
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--agent must be a URL, got \"" + agent + "\"", e);
    }
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpResponse<String> r;
    try {
      r =
          http.send(
              HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
              HttpResponse.BodyHandlers.ofString());
    } catch (java.io.IOException e) {
      throw new BlockliftException(
          "no agent at " + agent + " (" + e.getMessage() + "); start one with blocklift agent", e);
    }
    if (r.statusCode() != 200) {
      throw new BlockliftException("agent at " + agent + " answered " + r.statusCode());
    }
    spec.commandLine().getOut().print(r.body());
    return 0;
  }
}
