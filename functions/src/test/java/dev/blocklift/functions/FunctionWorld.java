package dev.blocklift.functions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.blocklift.agent.Worker;
import dev.blocklift.agent.WorkerApi;
import dev.blocklift.agent.WorkerClient;
import dev.blocklift.agent.WorkerDaemon;
import dev.blocklift.agent.WorkerServer;
import dev.blocklift.cache.tier.MemoryTier;
import dev.blocklift.chunk.SaltRoots;
import dev.blocklift.chunk.ServiceSecret;
import dev.blocklift.chunk.TenantId;
import dev.blocklift.chunk.keys.LocalKeyring;
import dev.blocklift.convert.ConvertListener;
import dev.blocklift.convert.ConvertOptions;
import dev.blocklift.convert.Converter;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ByteSize;
import dev.blocklift.core.Digest;
import dev.blocklift.core.ImageName;
import dev.blocklift.store.Store;
import dev.blocklift.store.Stores;
import dev.blocklift.testing.FunctionImages;
import dev.blocklift.testing.Requirements;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A worker with functions, in-process, over a local store holding the test function images
 * (converted once per world): its socket, a client, and the worker's counters.
 */
final class FunctionWorld implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String SHELL = "fn/shell:1";
  static final String SHELL_2 = "fn/shell:2";
  static final String JAVA = "fn/java:1";
  static final String TOKEN = "a-test-token-of-enough-length-0123456789";

  final Path home;
  final Path socket;
  final Worker worker;
  final WorkerDaemon daemon;
  final WorkerClient client;

  private FunctionWorld(Path home, Path socket, Worker worker, WorkerDaemon daemon) {
    this.home = home;
    this.socket = socket;
    this.worker = worker;
    this.daemon = daemon;
    this.client = new WorkerClient(socket, Duration.ofMinutes(2));
  }

  static void requirements() {
    Requirements.root();
    Requirements.fuse();
    Requirements.loopDevices();
    Requirements.commands("mkfs.ext4", "runc", "curl");
  }

  /** Builds and converts the shell image (and the Java one if asked) into {@code home}. */
  static void convertImages(Path tmp, Path home, boolean java) throws IOException {
    try (Store store = Stores.open(home.resolve("store").toString());
        LocalKeyring keys = LocalKeyring.open(home.resolve("keyring.json"), Clock.systemUTC())) {
      Converter c =
          new Converter(
              store,
              keys,
              ServiceSecret.loadOrCreate(home.resolve("service-secret")),
              new SaltRoots(home.resolve("salt-roots.json"), Clock.systemUTC()),
              Files.createDirectories(home.resolve("scratch")),
              System::nanoTime);
      FunctionImages.Image shell =
          FunctionImages.shellRuntime(Files.createDirectories(tmp.resolve("shell")));
      convert(c, shell, SHELL);
      convert(c, shell, SHELL_2); // a second tag: what an image update switches to
      if (java) {
        convert(c, FunctionImages.javaRuntime(Files.createDirectories(tmp.resolve("java"))), JAVA);
      }
    }
  }

  private static void convert(Converter c, FunctionImages.Image image, String name)
      throws IOException {
    c.convertDevice(
        image.ext4(),
        Digest.sha256(image.config()),
        image.config(),
        ConvertOptions.of(ImageName.parse(name), TenantId.DEFAULT),
        ConvertListener.NONE);
  }

  /** Starts a worker over {@code home}; {@code invoke} adds a TCP invoke listener. */
  static FunctionWorld start(Path tmp, Path home, Functions.Options options, boolean invoke)
      throws IOException {
    Worker w =
        Worker.open(
            Worker.Parts.overStore(
                Stores.open(home.resolve("store").toString()),
                LocalKeyring.open(home.resolve("keyring.json"), Clock.systemUTC()),
                List.of(new MemoryTier(ByteSize.ofMiB(256).bytes())),
                Duration.ofSeconds(30)),
            new Worker.Options(Duration.ofSeconds(30), TenantId.DEFAULT, ByteSize.ofMiB(64), -1));
    Path socket = tmp.resolve("w-" + System.nanoTime() + ".sock");
    Path token = tmp.resolve("token");
    if (!Files.exists(token)) {
      Files.writeString(token, TOKEN, StandardCharsets.UTF_8);
      Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-------"));
    }
    WorkerServer.Listen listen =
        new WorkerServer.Listen(
            socket,
            "rw-rw----",
            Optional.empty(),
            invoke ? Optional.of(token) : Optional.empty(),
            invoke
                ? Optional.of(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0))
                : Optional.empty());
    List<WorkerApi.Factory> apis = List.of(Functions.api(options));
    try {
      WorkerDaemon d =
          WorkerDaemon.start(
              w,
              tmp.resolve("state"),
              List.of(),
              (argv, cwd) -> {
                throw new BlockliftException("no runs here");
              },
              listen,
              apis);
      return new FunctionWorld(home, socket, w, d);
    } catch (IOException | RuntimeException e) {
      w.close();
      throw e;
    }
  }

  static Functions.Options options(Path home) {
    Functions.Options d = Functions.Options.defaults(home.resolve("functions"));
    return new Functions.Options(
        d.home(),
        Duration.ofMinutes(5),
        32,
        ByteSize.ofGiB(16),
        1000,
        Duration.ofSeconds(20),
        ByteSize.ofMiB(64),
        d.region(),
        d.account());
  }

  /** CreateFunction with the Lambda API's JSON. */
  JsonNode create(
      String name, String image, String handler, int memoryMiB, int timeout, String extra)
      throws IOException {
    String body =
        "{\"FunctionName\":\""
            + name
            + "\",\"PackageType\":\"Image\",\"Code\":{\"ImageUri\":\""
            + image
            + "\"},\"MemorySize\":"
            + memoryMiB
            + ",\"Timeout\":"
            + timeout
            + ",\"ImageConfig\":{\"Command\":[\""
            + handler
            + "\"]}"
            + extra
            + "}";
    WorkerClient.Answer a = send("POST", "/2015-03-31/functions", body, Map.of());
    if (a.status() != 201) {
      throw new AssertionError("create " + name + ": " + a.status() + " " + a.body());
    }
    return JSON.readTree(a.body());
  }

  WorkerClient.Answer invoke(String name, String payload) throws IOException {
    return invoke(name, payload, Map.of());
  }

  WorkerClient.Answer invoke(String name, String payload, Map<String, String> headers)
      throws IOException {
    return send("POST", "/2015-03-31/functions/" + name + "/invocations", payload, headers);
  }

  WorkerClient.Answer send(String method, String path, String body, Map<String, String> headers)
      throws IOException {
    return client.send(method, path, body.getBytes(StandardCharsets.UTF_8), headers);
  }

  String metrics() throws IOException {
    return client.get("/metrics").body();
  }

  /** The value of a Prometheus sample line starting with {@code prefix}, or -1. */
  double metric(String prefix) throws IOException {
    for (String line : metrics().lines().toList()) {
      if (line.startsWith(prefix + " ")) {
        return Double.parseDouble(line.substring(prefix.length() + 1).strip());
      }
    }
    return -1;
  }

  /** Waits (at most {@code timeout}) until the metric {@code prefix} satisfies {@code ok}. */
  void awaitMetric(String prefix, java.util.function.DoublePredicate ok, Duration timeout)
      throws InterruptedException {
    dev.blocklift.testing.Poll.until(
        timeout,
        prefix,
        () -> {
          try {
            return ok.test(metric(prefix));
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
  }

  /** Waits (at most {@code timeout}) until the worker serves no mount or run. */
  void awaitNoMounts(Duration timeout) throws InterruptedException {
    dev.blocklift.testing.Poll.until(
        timeout,
        "no mounts",
        () -> {
          try {
            return client.get("/mounts").body().strip().equals("[]");
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
  }

  @Override
  public void close() throws IOException {
    daemon.close();
  }
}
