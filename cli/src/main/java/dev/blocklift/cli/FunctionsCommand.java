package dev.blocklift.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.blocklift.agent.WorkerClient;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ByteSize;
import dev.blocklift.core.ImageName;
import dev.blocklift.core.TimeSpan;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code blocklift functions}: create, update, list, get, delete and invoke the functions of a
 * running worker, over its socket, in the Lambda API's own requests (so what this does, the AWS SDK
 * and CLI can do too).
 */
@Command(
    name = "functions",
    aliases = "fn",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "Manage and invoke the functions of a running worker (Lambda's API).",
    subcommands = {
      FunctionsCommand.Create.class,
      FunctionsCommand.Update.class,
      FunctionsCommand.ListFunctions.class,
      FunctionsCommand.Get.class,
      FunctionsCommand.Delete.class,
      FunctionsCommand.Invoke.class
    })
public final class FunctionsCommand implements Runnable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String API = "/2015-03-31/functions";

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code --worker} and {@code --json}, shared by the subcommands. */
  static final class Common {
    @Mixin WorkerSocket worker;

    @Option(names = "--json", description = "Print Lambda's JSON answer.")
    boolean json;

    WorkerClient.Answer send(String method, String path, byte[] body, Map<String, String> headers)
        throws IOException {
      Path socket = worker.socket();
      try {
        return new WorkerClient(socket, Duration.ofMinutes(16)).send(method, path, body, headers);
      } catch (IOException e) {
        throw new BlockliftException(
            "no worker at " + socket + " (" + e.getMessage() + "); start one with blocklift worker",
            e);
      }
    }

    /** Sends a control-plane request; a Lambda error becomes a one-line refusal. */
    JsonNode call(String method, String path, JsonNode body) throws IOException {
      byte[] b = body == null ? new byte[0] : JSON.writeValueAsBytes(body);
      WorkerClient.Answer a =
          send(
              method,
              path,
              b,
              b.length == 0 ? Map.of() : Map.of("Content-Type", "application/json"));
      if (a.status() >= 300) {
        throw refusal(a);
      }
      return a.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(a.body());
    }
  }

  static BlockliftException refusal(WorkerClient.Answer a) {
    String type = a.header("x-amzn-errortype").orElse("HTTP " + a.status());
    String message = a.body().strip();
    try {
      JsonNode n = JSON.readTree(a.body());
      message = n.path("message").asText(n.path("Message").asText(message));
    } catch (IOException | RuntimeException e) {
      // not JSON: the text as it came
    }
    return new BlockliftException(type + ": " + message);
  }

  /** The options of create and update. */
  static final class Settings {
    @Option(
        names = "--image",
        paramLabel = "NAME:TAG",
        description = "The image the function runs.")
    String image;

    @Option(
        names = "--memory",
        paramLabel = "SIZE",
        description = "The sandbox's memory, 128MiB to 10GiB (create's default: 128MiB).")
    String memory;

    @Option(
        names = "--timeout",
        paramLabel = "SPAN",
        description = "How long one invoke may run, 1s to 15m (create's default: 3s).")
    String timeout;

    @Option(
        names = "--env",
        paramLabel = "K=V",
        description = "An environment variable (repeatable; update replaces them all).")
    List<String> env = new ArrayList<>();

    @Option(
        names = "--handler",
        paramLabel = "H",
        description = "Replaces the image's cmd (Lambda's ImageConfig.Command; _HANDLER).")
    String handler;

    @Option(
        names = "--concurrency",
        paramLabel = "N",
        description = "Reserved concurrency: at most N invokes at once.")
    Integer concurrency;

    void apply(ObjectNode n) {
      if (memory != null) {
        ByteSize m = ByteSize.parse(memory);
        if (m.bytes() % (1 << 20) != 0) {
          throw new BlockliftException("--memory must be whole MiB, got " + memory);
        }
        n.put("MemorySize", m.bytes() >> 20);
      }
      if (timeout != null) {
        Duration t = TimeSpan.parse(timeout).requirePositive("--timeout").toDuration();
        if (t.toMillis() % 1000 != 0) {
          throw new BlockliftException("--timeout must be whole seconds, got " + timeout);
        }
        n.put("Timeout", t.toSeconds());
      }
      if (!env.isEmpty()) {
        ObjectNode vars = n.putObject("Environment").putObject("Variables");
        for (String e : env) {
          int eq = e.indexOf('=');
          if (eq <= 0) {
            throw new BlockliftException("--env takes NAME=VALUE, got \"" + e + "\"");
          }
          vars.put(e.substring(0, eq), e.substring(eq + 1));
        }
      }
      if (handler != null) {
        n.putObject("ImageConfig").putArray("Command").add(handler);
      }
    }
  }

  static void print(Common c, PrintWriter out, JsonNode config) throws IOException {
    if (c.json) {
      out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config));
    } else {
      out.println(summary(config));
    }
    out.flush();
  }

  static String summary(JsonNode c) {
    JsonNode cmd = c.path("ImageConfigResponse").path("ImageConfig").path("Command");
    return c.path("FunctionName").asText()
        + "  memory "
        + c.path("MemorySize").asInt()
        + " MB  timeout "
        + c.path("Timeout").asInt()
        + " s"
        + (cmd.isArray() && !cmd.isEmpty() ? "  handler " + cmd.get(0).asText() : "")
        + "  revision "
        + c.path("RevisionId").asText()
        + "  "
        + c.path("FunctionArn").asText();
  }

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = "Create a function from a converted image.")
  static final class Create implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Common common;
    @Mixin Settings settings;

    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Override
    public Integer call() throws IOException {
      if (settings.image == null) {
        throw new BlockliftException("create needs --image NAME:TAG");
      }
      ObjectNode n = JSON.createObjectNode();
      n.put("FunctionName", name);
      n.put("PackageType", "Image");
      n.putObject("Code").put("ImageUri", ImageName.parse(settings.image).toString());
      settings.apply(n);
      if (settings.concurrency != null) {
        n.put("ReservedConcurrentExecutions", settings.concurrency);
      }
      print(common, spec.commandLine().getOut(), common.call("POST", API, n));
      return 0;
    }
  }

  @Command(
      name = "update",
      mixinStandardHelpOptions = true,
      description =
          "Change a function's image or settings: new sandboxes use them, running ones drain.")
  static final class Update implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Common common;
    @Mixin Settings settings;

    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Override
    public Integer call() throws IOException {
      String base = API + "/" + name;
      JsonNode last = null;
      if (settings.image != null) {
        ObjectNode code = JSON.createObjectNode();
        code.put("ImageUri", ImageName.parse(settings.image).toString());
        last = common.call("PUT", base + "/code", code);
      }
      ObjectNode n = JSON.createObjectNode();
      settings.apply(n);
      if (!n.isEmpty()) {
        last = common.call("PUT", base + "/configuration", n);
      }
      if (settings.concurrency != null) {
        ObjectNode c = JSON.createObjectNode();
        c.put("ReservedConcurrentExecutions", settings.concurrency);
        common.call("PUT", "/2017-10-31/functions/" + name + "/concurrency", c);
        last = common.call("GET", base + "/configuration", null);
      }
      if (last == null) {
        throw new BlockliftException(
            "update needs something to change: --image, --memory, --timeout, --env, --handler or"
                + " --concurrency");
      }
      print(common, spec.commandLine().getOut(), last);
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List the functions.")
  static final class ListFunctions implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Common common;

    @Override
    public Integer call() throws IOException {
      JsonNode all = common.call("GET", API, null);
      PrintWriter out = spec.commandLine().getOut();
      if (common.json) {
        out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(all));
      } else {
        for (JsonNode f : all.path("Functions")) {
          out.println(summary(f));
        }
      }
      out.flush();
      return 0;
    }
  }

  @Command(name = "get", mixinStandardHelpOptions = true, description = "Show one function.")
  static final class Get implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Common common;

    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Override
    public Integer call() throws IOException {
      JsonNode f = common.call("GET", API + "/" + name, null);
      PrintWriter out = spec.commandLine().getOut();
      if (common.json) {
        out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(f));
      } else {
        out.println(
            summary(f.path("Configuration"))
                + "  image "
                + f.path("Code").path("ImageUri").asText()
                + (f.has("Concurrency")
                    ? "  concurrency "
                        + f.path("Concurrency").path("ReservedConcurrentExecutions").asInt()
                    : ""));
      }
      out.flush();
      return 0;
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a function.")
  static final class Delete implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Common common;

    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Override
    public Integer call() throws IOException {
      common.call("DELETE", API + "/" + name, null);
      if (!common.json) {
        spec.commandLine().getOut().println("deleted " + name);
        spec.commandLine().getOut().flush();
      }
      return 0;
    }
  }

  @Command(
      name = "invoke",
      mixinStandardHelpOptions = true,
      description =
          "Invoke a function and print its result; exits 1 on a function error (its error"
              + " document is the output).")
  static final class Invoke implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Common common;

    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Option(names = "--payload", paramLabel = "JSON", description = "The event (default: {}).")
    String payload = "{}";

    @Option(names = "--payload-file", paramLabel = "FILE", description = "The event, from a file.")
    Path payloadFile;

    @Option(names = "--log", description = "Also print the invoke's log tail (to stderr).")
    boolean log;

    @Override
    public Integer call() throws IOException {
      byte[] body =
          payloadFile != null
              ? Files.readAllBytes(payloadFile)
              : payload.getBytes(StandardCharsets.UTF_8);
      Map<String, String> h = new LinkedHashMap<>();
      h.put("Content-Type", "application/json");
      if (log) {
        h.put("X-Amz-Log-Type", "Tail");
      }
      WorkerClient.Answer a = common.send("POST", API + "/" + name + "/invocations", body, h);
      if (a.status() >= 300) {
        throw refusal(a);
      }
      PrintWriter out = spec.commandLine().getOut();
      if (log) {
        a.header("x-amz-log-result")
            .ifPresent(
                t -> {
                  PrintWriter err = spec.commandLine().getErr();
                  err.print(new String(Base64.getDecoder().decode(t), StandardCharsets.UTF_8));
                  err.flush();
                });
      }
      if (common.json) {
        ObjectNode n = JSON.createObjectNode();
        n.put("StatusCode", a.status());
        a.header("x-amz-function-error").ifPresent(e -> n.put("FunctionError", e));
        n.put("ExecutedVersion", a.header("x-amz-executed-version").orElse("$LATEST"));
        n.put("Payload", a.body());
        out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n));
      } else {
        out.println(a.body());
      }
      out.flush();
      return a.header("x-amz-function-error").isPresent() ? 1 : 0;
    }
  }
}
