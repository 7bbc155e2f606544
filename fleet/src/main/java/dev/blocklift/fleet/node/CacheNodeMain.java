package dev.blocklift.fleet.node;

import dev.blocklift.core.ByteSize;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * A cache node as a plain {@code main}, for tests and benchmarks that spawn nodes as separate JVMs
 * ({@code blocklift cache-node} is the user-facing command). Prints {@code LISTENING <port>} on
 * stdout once bound, then serves until killed.
 *
 * <pre>
 * java -cp ... dev.blocklift.fleet.node.CacheNodeMain --listen 127.0.0.1:0 --memory 32MiB \
 *     --disk DIR --disk-size 256MiB [--test-delay 20ms] [--test-corrupt-rate 0.5]
 * </pre>
 */
public final class CacheNodeMain {
  private CacheNodeMain() {}

  public static void main(String[] args) throws Exception {
    NodeConfig config;
    try {
      config = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("cache-node: " + e.getMessage());
      System.exit(2);
      return;
    }
    CacheNodeServer server = CacheNode.start(config);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    server.close();
                  } catch (Exception e) {
                    // exiting anyway
                  }
                }));
    System.out.println("LISTENING " + server.port());
    System.out.flush();
    Thread.currentThread().join();
  }

  static NodeConfig parse(String[] args) {
    String listen = null;
    ByteSize memory = ByteSize.ofMiB(64);
    Path disk = null;
    ByteSize diskSize = ByteSize.ofMiB(256);
    ByteSize maxChunk = NodeConfig.DEFAULT_MAX_CHUNK;
    Duration delay = Duration.ZERO;
    double corrupt = 0;
    long seed = 1;
    boolean admin = false;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("option " + a + " needs a value");
      }
      String v = args[++i];
      switch (a) {
        case "--listen" -> listen = v;
        case "--memory" -> memory = ByteSize.parse(v);
        case "--disk" -> disk = Path.of(v);
        case "--disk-size" -> diskSize = ByteSize.parse(v);
        case "--max-chunk" -> maxChunk = ByteSize.parse(v);
        case "--test-delay" -> delay = parseDuration(v);
        case "--test-corrupt-rate" -> corrupt = Double.parseDouble(v);
        case "--test-seed" -> seed = Long.parseLong(v);
        case "--test-admin" -> admin = Boolean.parseBoolean(v);
        default -> throw new IllegalArgumentException("unknown option " + a);
      }
    }
    if (listen == null || disk == null) {
      throw new IllegalArgumentException("--listen HOST:PORT and --disk DIR are required");
    }
    String[] hp = NodeConfig.parseListen(listen);
    return new NodeConfig(
        hp[0],
        Integer.parseInt(hp[1]),
        memory,
        disk,
        diskSize,
        maxChunk,
        delay,
        corrupt,
        seed,
        admin);
  }

  /** Parses {@code 20ms}, {@code 1.5s}, {@code 250us}, {@code 0} or an ISO-8601 duration. */
  public static Duration parseDuration(String text) {
    String t = text.strip().toLowerCase(Locale.ROOT);
    try {
      if (t.equals("0")) {
        return Duration.ZERO;
      }
      if (t.startsWith("p")) {
        return Duration.parse(text.strip());
      }
      if (t.endsWith("ms")) {
        return Duration.ofNanos(
            Math.round(Double.parseDouble(t.substring(0, t.length() - 2)) * 1e6));
      }
      if (t.endsWith("us")) {
        return Duration.ofNanos(
            Math.round(Double.parseDouble(t.substring(0, t.length() - 2)) * 1e3));
      }
      if (t.endsWith("s")) {
        return Duration.ofNanos(
            Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 1e9));
      }
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("bad duration \"" + text + "\" (use e.g. 20ms, 1.5s)", e);
    }
    throw new IllegalArgumentException("bad duration \"" + text + "\" (use e.g. 20ms, 1.5s)");
  }
}
