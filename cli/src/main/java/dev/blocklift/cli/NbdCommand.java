package dev.blocklift.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.blocklift.agent.WorkerClient;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ImageName;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code blocklift nbd NAME:TAG}: asks the running worker to export an image over NBD ({@code POST
 * /nbd}), prints the NBD URI, and keeps the export until Ctrl-C (or leaves it with {@code
 * --detach}).
 */
@Command(
    name = "nbd",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description =
        "Export an image as an NBD block device, served by the running worker from its shared"
            + " tiers; prints the NBD URI (for qemu, nbdcopy, nbdfuse, nbd-client). Read-only"
            + " unless --rw, whose writes go to a copy-on-write overlay that ends with the export.")
public final class NbdCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Spec CommandSpec spec;

  @Mixin WorkerSocket worker;

  @Parameters(index = "0", paramLabel = "NAME:TAG", description = "The image to export.")
  String image;

  static final class Where {
    @Option(
        names = "--socket",
        paramLabel = "PATH",
        description =
            "Serve on a new unix socket at PATH (0660, the group of its directory); default: one"
                + " in the worker's nbd directory beside its state.")
    Path socket;

    @Option(
        names = "--listen",
        paramLabel = "HOST:PORT",
        description =
            "Serve on TCP, e.g. 127.0.0.1:10809 (NBD has no authentication: beyond loopback only"
                + " for a root caller).")
    String listen;
  }

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  Where where;

  @Option(names = "--rw", description = "Writable: writes land in a copy-on-write overlay.")
  boolean rw;

  @Option(
      names = "--detach",
      description =
          "Print the URI and leave the export running (stop it with DELETE /nbd?id=ID on the"
              + " worker's API).")
  boolean detach;

  @Override
  public Integer call() throws Exception {
    ImageName name = ImageName.parse(image);
    Path socket = worker.socket();
    WorkerClient client = new WorkerClient(socket, Duration.ofMinutes(2));
    StringBuilder q = new StringBuilder("/nbd?image=").append(encode(name.toString()));
    if (where != null && where.socket != null) {
      q.append("&socket=").append(encode(where.socket.toAbsolutePath().toString()));
    }
    if (where != null && where.listen != null) {
      q.append("&listen=").append(encode(where.listen));
    }
    if (rw) {
      q.append("&rw=true");
    }
    JsonNode export = JSON.readTree(call(client, socket, "POST", q.toString()));
    String id = export.path("id").asText();
    PrintWriter out = spec.commandLine().getOut();
    out.println(export.path("uri").asText());
    out.flush();
    if (detach) {
      PrintWriter err = spec.commandLine().getErr();
      err.println(
          "blocklift nbd: export "
              + id
              + " runs until the worker stops or: curl --unix-socket "
              + socket
              + " -X DELETE 'http://worker/nbd?id="
              + id
              + "'");
      err.flush();
      return 0;
    }
    Thread stopper =
        new Thread(
            () -> {
              try {
                client.send("DELETE", "/nbd?id=" + id, new byte[0], Map.of());
              } catch (IOException | RuntimeException e) {
                // the worker is gone, and the export with it
              }
            },
            "blocklift-nbd-stop");
    Runtime.getRuntime().addShutdownHook(stopper);
    try {
      return waitForEnd(client, socket, id);
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(stopper);
      } catch (IllegalStateException e) {
        // shutting down: the hook runs
      }
    }
  }

  /** Until Ctrl-C; if the worker stops (and the export with it), says so and fails. */
  private static int waitForEnd(WorkerClient client, Path socket, String id) throws Exception {
    while (true) {
      Thread.sleep(2000);
      String list;
      try {
        list = call(client, socket, "GET", "/nbd");
      } catch (BlockliftException e) {
        throw new BlockliftException("the NBD export " + id + " ended: " + e.getMessage(), e);
      }
      boolean alive = false;
      for (JsonNode e : JSON.readTree(list)) {
        alive |= e.path("id").asText().equals(id);
      }
      if (!alive) {
        throw new BlockliftException("the NBD export " + id + " was stopped by the worker");
      }
    }
  }

  private static String call(WorkerClient client, Path socket, String method, String path) {
    WorkerClient.Answer a;
    try {
      a = client.send(method, path, new byte[0], Map.of());
    } catch (IOException e) {
      throw new BlockliftException(
          "no worker at " + socket + " (" + e.getMessage() + "); start one with blocklift worker",
          e);
    }
    if (a.status() != 200) {
      throw new BlockliftException(
          "worker at " + socket + " answered " + a.status() + ": " + a.body().strip());
    }
    return a.body();
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
