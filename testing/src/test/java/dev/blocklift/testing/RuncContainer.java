package dev.blocklift.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * An ext4 function image run as a runc container: the file loop-mounted read-only, a tmpfs on /tmp,
 * the host's network (to reach a {@link FakeRuntimeApi} on 127.0.0.1), the process and environment
 * of the image config plus {@code env}. Needs root.
 */
final class RuncContainer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final String id = "blocklift-fnimg-" + UUID.randomUUID().toString().substring(0, 8);
  private final Path mnt;
  private final ByteArrayOutputStream output = new ByteArrayOutputStream();
  private Process runc;
  private Thread drain;

  private RuncContainer(Path mnt) {
    this.mnt = mnt;
  }

  /**
   * Starts {@code args} (the config's Entrypoint and Cmd when null) in the image; {@code workDir}
   * holds the mount point and the bundle.
   */
  static RuncContainer start(
      FunctionImages.Image image, List<String> args, Map<String, String> env, Path workDir)
      throws IOException {
    Path dir = Files.createTempDirectory(workDir, "container");
    Path mnt = Files.createDirectory(dir.resolve("rootfs"));
    Processes.check(
        List.of("mount", "-o", "loop,ro,noload", image.ext4().toString(), mnt.toString()));
    RuncContainer container = new RuncContainer(mnt);
    try {
      container.run(dir, image.config(), args, env);
      return container;
    } catch (IOException | RuntimeException | Error e) {
      container.close();
      throw e;
    }
  }

  private void run(Path bundle, byte[] imageConfig, List<String> args, Map<String, String> env)
      throws IOException {
    Processes.check(List.of("runc", "spec", "--bundle", bundle.toString()));
    Path specFile = bundle.resolve("config.json");
    ObjectNode spec = (ObjectNode) JSON.readTree(specFile.toFile());
    JsonNode config = JSON.readTree(imageConfig).path("config");

    List<String> argv = new ArrayList<>();
    if (args != null) {
      argv.addAll(args);
    } else {
      config.path("Entrypoint").forEach(a -> argv.add(a.asText()));
      config.path("Cmd").forEach(a -> argv.add(a.asText()));
    }
    ObjectNode process = (ObjectNode) spec.path("process");
    process.put("terminal", false);
    process.put("cwd", config.path("WorkingDir").asText("/"));
    ArrayNode argsNode = process.putArray("args");
    argv.forEach(argsNode::add);
    ArrayNode envNode = process.putArray("env");
    config.path("Env").forEach(envNode::add);
    env.forEach((k, v) -> envNode.add(k + "=" + v));

    ObjectNode root = (ObjectNode) spec.path("root");
    root.put("path", mnt.toString());
    root.put("readonly", true);
    ObjectNode linux = (ObjectNode) spec.path("linux");
    ArrayNode namespaces = linux.putArray("namespaces");
    for (String ns : List.of("pid", "ipc", "uts", "mount")) {
      namespaces.addObject().put("type", ns);
    }
    ObjectNode tmp = ((ArrayNode) spec.path("mounts")).addObject();
    tmp.put("destination", "/tmp").put("type", "tmpfs").put("source", "tmpfs");
    tmp.putArray("options").add("nosuid").add("nodev").add("mode=1777").add("size=65536k");
    JSON.writeValue(specFile.toFile(), spec);

    runc =
        new ProcessBuilder("runc", "run", "--bundle", bundle.toString(), id)
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .start();
    InputStream in = runc.getInputStream();
    drain =
        Thread.ofVirtual()
            .start(
                () -> {
                  byte[] buf = new byte[8192];
                  try (in) {
                    for (int n; (n = in.read(buf)) > 0; ) {
                      synchronized (output) {
                        output.write(buf, 0, n);
                      }
                    }
                  } catch (IOException e) {
                    // the container is gone
                  }
                });
  }

  /** Everything the container wrote to stdout and stderr so far. */
  String output() {
    synchronized (output) {
      return output.toString(java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  /** Sends {@code signal} (e.g. TERM) to the container's process. */
  void signal(String signal) throws IOException {
    Processes.check(List.of("runc", "kill", id, signal));
  }

  /** Waits for the container's process to exit; its exit code. */
  int awaitExit(Duration timeout) throws InterruptedException {
    if (!runc.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError(
          "the container did not exit within " + timeout + "; output:\n" + output());
    }
    drain.join(Duration.ofSeconds(10));
    return runc.exitValue();
  }

  @Override
  public void close() throws IOException {
    try {
      if (runc != null && runc.isAlive()) {
        Processes.run(Duration.ofSeconds(30), null, List.of("runc", "kill", id, "KILL"));
        try {
          runc.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      // runc run removes its container when the process exits; a leftover one is forced away.
      Processes.run(Duration.ofSeconds(30), null, List.of("runc", "delete", "--force", id));
      if (runc != null) {
        runc.destroyForcibly();
      }
    } finally {
      Processes.check(List.of("umount", mnt.toString()));
    }
  }
}
