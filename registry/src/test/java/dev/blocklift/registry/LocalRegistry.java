package dev.blocklift.registry;

import dev.blocklift.testing.Processes;
import dev.blocklift.testing.Requirements;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real distribution registry ({@code docker-registry serve}) on 127.0.0.1, plain HTTP, with its
 * storage in a directory the test owns. {@link #restart} brings it back with another auth section
 * on the same storage, so images are pushed once, anonymously, and then served behind auth.
 */
final class LocalRegistry implements AutoCloseable {
  private final Path dir;
  private final Path storage;
  private final int port;
  private final String address;
  private final String httpExtra;
  private Process process;

  private LocalRegistry(Path dir, String address, String httpExtra) throws IOException {
    this.dir = dir;
    this.address = address;
    this.httpExtra = httpExtra;
    this.storage = Files.createDirectories(dir.resolve("storage"));
    this.port = freePort();
  }

  static void requireTools() {
    Requirements.commands("docker-registry", "skopeo");
  }

  static LocalRegistry start(Path dir) throws IOException {
    LocalRegistry r = new LocalRegistry(dir, "127.0.0.1", "");
    r.restart("");
    return r;
  }

  /** A registry serving HTTPS with {@code certificate} on {@code address} (not loopback). */
  static LocalRegistry startTls(Path dir, String address, Path certificate, Path key)
      throws IOException {
    LocalRegistry r =
        new LocalRegistry(
            dir, address, "  tls:\n    certificate: " + certificate + "\n    key: " + key + "\n");
    r.restart("");
    return r;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  String host() {
    return address + ":" + port;
  }

  Path storage() {
    return storage;
  }

  /** (Re)starts the registry with {@code authYaml} (an indented {@code auth:} section, or ""). */
  void restart(String authYaml) throws IOException {
    stop();
    String config =
        "version: 0.1\n"
            + "log:\n  level: warn\n"
            + "storage:\n  filesystem:\n    rootdirectory: "
            + storage
            + "\n  delete:\n    enabled: true\n"
            + "http:\n  addr: "
            + host()
            + "\n"
            + httpExtra
            + authYaml;
    Path file = dir.resolve("config.yml");
    Files.writeString(file, config);
    process =
        new ProcessBuilder("docker-registry", "serve", file.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("registry.log").toFile())
            .start();
    awaitUp();
  }

  private void awaitUp() throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("docker-registry exited:\n" + log());
      }
      try (java.net.Socket s = new java.net.Socket()) {
        s.connect(new java.net.InetSocketAddress(address, port), 1000);
        return;
      } catch (IOException e) {
        sleep(100);
      }
    }
    throw new IOException("docker-registry did not start on " + host() + ":\n" + log());
  }

  String log() throws IOException {
    Path log = dir.resolve("registry.log");
    return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Pushes {@code oci:layout:tag} as {@code repo:destTag}; {@code extra} are skopeo options. */
  void push(Path layout, String tag, String repoAndTag, String... extra) throws IOException {
    List<String> cmd = new java.util.ArrayList<>(List.of("skopeo", "--insecure-policy", "copy"));
    cmd.addAll(List.of(extra));
    cmd.addAll(
        List.of(
            "--dest-tls-verify=false",
            "oci:" + layout + ":" + tag,
            "docker://" + host() + "/" + repoAndTag));
    Processes.run(Duration.ofMinutes(2), null, cmd).assertSuccess(cmd);
  }

  /** Kills the registry at once, as a crash would. */
  void kill() throws IOException {
    if (process != null) {
      process.destroyForcibly();
      waitFor();
    }
  }

  void stop() throws IOException {
    if (process != null && process.isAlive()) {
      process.destroy();
      waitFor();
    }
  }

  private void waitFor() throws IOException {
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  /** The data file of a blob in the registry's filesystem storage. */
  Path blobData(dev.blocklift.core.Digest digest) {
    return storage.resolve(
        "docker/registry/v2/blobs/"
            + digest.algorithm()
            + "/"
            + digest.hex().substring(0, 2)
            + "/"
            + digest.hex()
            + "/data");
  }

  @Override
  public void close() throws IOException {
    stop();
  }
}
