package dev.blocklift.fleet.node;

import dev.blocklift.fleet.placement.NodeAddress;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A cache node running as a separate JVM on this machine ({@link CacheNodeMain}), started with the
 * current JVM's class path: what the fleet tests and benchmarks use to get real processes they can
 * {@code kill -9}. Each node JVM is kept small (serial GC, bounded heap).
 */
public final class NodeProcess implements AutoCloseable {
  /** JVM flags for test nodes: small and quick to start on a 2-core machine. */
  public static final List<String> SMALL_JVM =
      List.of("-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k");

  /** JVM flags for benchmark nodes: small heap, but the optimising compiler. */
  public static final List<String> BENCH_JVM = List.of("-Xmx192m", "-XX:+UseSerialGC");

  private final Process process;
  private final NodeAddress address;
  private final Path log;

  private NodeProcess(Process process, NodeAddress address, Path log) {
    this.process = process;
    this.address = address;
    this.log = log;
  }

  /**
   * Starts a node listening on 127.0.0.1:{@code port} (0 = any) with its disk tier in {@code dir}.
   *
   * @param nodeArgs extra cache-node options, e.g. {@code --test-delay 20ms}
   */
  public static NodeProcess start(Path dir, int port, List<String> jvmFlags, List<String> nodeArgs)
      throws IOException {
    Files.createDirectories(dir);
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> cmd = new ArrayList<>();
    cmd.add(java.toString());
    cmd.addAll(jvmFlags);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(CacheNodeMain.class.getName());
    cmd.addAll(
        List.of(
            "--listen",
            "127.0.0.1:" + port,
            "--memory",
            "32MiB",
            "--disk",
            dir.toString(),
            "--disk-size",
            "256MiB"));
    cmd.addAll(nodeArgs);
    Path log = dir.resolve("node.log");
    Process p =
        new ProcessBuilder(cmd)
            .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    CompletableFuture<String> first = new CompletableFuture<>();
    Thread.ofVirtual()
        .start(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line = r.readLine();
                first.complete(line == null ? "" : line);
                while (r.readLine() != null) {
                  // drain
                }
              } catch (IOException e) {
                first.complete("");
              }
            });
    String line;
    try {
      line = first.get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted starting a cache node", e);
    } catch (ExecutionException | TimeoutException e) {
      p.destroyForcibly();
      throw new IOException("cache node did not start in 30 s; log: " + log, e);
    }
    int at = line.lastIndexOf(':', line.indexOf(" (") < 0 ? line.length() : line.indexOf(" ("));
    if (!line.startsWith(CacheNodeOptions.LISTENING) || at < 0) {
      p.destroyForcibly();
      throw new IOException("cache node failed to start (said \"" + line + "\"): " + readLog(log));
    }
    try {
      int end = line.indexOf(' ', at);
      int bound = Integer.parseInt(line.substring(at + 1, end < 0 ? line.length() : end));
      return new NodeProcess(p, new NodeAddress("127.0.0.1", bound), log);
    } catch (IllegalArgumentException e) {
      p.destroyForcibly();
      throw new IOException("cache node reported a bad port: \"" + line + "\"", e);
    }
  }

  private static String readLog(Path log) {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "<no log>";
    }
  }

  public NodeAddress address() {
    return address;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** {@code kill -9}: SIGKILL, no shutdown hooks, connections reset. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  public Path log() {
    return log;
  }

  @Override
  public void close() throws InterruptedException {
    kill();
  }
}
