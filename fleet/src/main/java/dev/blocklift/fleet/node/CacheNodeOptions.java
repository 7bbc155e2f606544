package dev.blocklift.fleet.node;

import dev.blocklift.core.ByteSize;
import dev.blocklift.core.TimeSpan;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The cache node's command-line options, declared once: {@code blocklift cache-node} mixes them in,
 * and so does {@link CacheNodeMain} (the plain {@code main} that tests and benchmarks spawn).
 */
public final class CacheNodeOptions {
  @Option(
      names = "--listen",
      required = true,
      paramLabel = "HOST:PORT",
      description = "Address to listen on, e.g. 0.0.0.0:7070 (port 0 picks a free port).")
  String listen;

  @Option(
      names = "--memory",
      defaultValue = "256MiB",
      paramLabel = "SIZE",
      description = "Memory tier budget (default: ${DEFAULT-VALUE}).")
  String memory;

  @Option(
      names = "--disk",
      required = true,
      paramLabel = "DIR",
      description =
          "Directory for the disk tier; shards kept there survive a restart (re-verified).")
  Path disk;

  @Option(
      names = "--disk-size",
      defaultValue = "4GiB",
      paramLabel = "SIZE",
      description = "Disk tier budget (default: ${DEFAULT-VALUE}).")
  String diskSize;

  @Option(
      names = "--max-chunk",
      defaultValue = "4MiB",
      paramLabel = "SIZE",
      description = "Largest chunk accepted; a shard may carry at most SIZE/k bytes.")
  String maxChunk;

  @Option(
      names = "--test-delay",
      hidden = true,
      defaultValue = "0",
      description = "TEST ONLY: latency added to every shard request, e.g. 20ms.")
  String testDelay;

  @Option(
      names = "--test-corrupt-rate",
      hidden = true,
      defaultValue = "0",
      description = "TEST ONLY: probability that a GET answer has one byte flipped.")
  double testCorruptRate;

  @Option(
      names = "--test-seed",
      hidden = true,
      defaultValue = "1",
      description = "TEST ONLY: seed of the corruption choice.")
  long testSeed;

  @Option(
      names = "--test-admin",
      hidden = true,
      arity = "0..1",
      description = "TEST ONLY: accept PUT /test/delay to change the added latency.")
  boolean testAdmin;

  /** The node's configuration; sizes and spans are validated with messages echoing the value. */
  public NodeConfig config() {
    String[] hp = NodeConfig.parseListen(listen);
    return new NodeConfig(
        hp[0],
        Integer.parseInt(hp[1]),
        ByteSize.parse(memory),
        disk,
        ByteSize.parse(diskSize),
        ByteSize.parse(maxChunk),
        TimeSpan.parse(testDelay).toDuration(),
        testCorruptRate,
        testSeed,
        testAdmin);
  }

  /**
   * Starts the node, prints {@code cache node listening on HOST:PORT (...)} to {@code out} once
   * bound ({@link NodeProcess} waits for that line), then serves until the JVM exits.
   */
  public int serve(PrintWriter out) throws Exception {
    NodeConfig config = config();
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
    out.printf(
        "%s%s:%d (memory %s, disk %s in %s)%n",
        LISTENING, config.host(), server.port(), config.memory(), config.disk(), disk);
    out.flush();
    Thread.currentThread().join();
    return 0;
  }

  /** The start of the line {@link #serve} prints once the node is bound. */
  static final String LISTENING = "cache node listening on ";
}
