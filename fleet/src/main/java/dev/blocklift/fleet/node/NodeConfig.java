package dev.blocklift.fleet.node;

import dev.blocklift.core.ByteSize;
import java.nio.file.Path;
import java.time.Duration;

/**
 * How a cache node runs.
 *
 * @param host address to bind
 * @param port port to bind, 0 for any free port
 * @param memory memory tier budget
 * @param diskDir directory for the disk tier ({@code shards/}; kept and re-verified on restart)
 * @param disk disk tier budget
 * @param maxChunk largest chunk accepted; a shard may carry at most {@code maxChunk / k} bytes
 * @param testDelay TEST ONLY: latency added to every shard request
 * @param testCorruptRate TEST ONLY: probability that a GET answers with one byte flipped
 * @param testSeed TEST ONLY: seed of the corruption choice
 * @param testAdmin TEST ONLY: accept {@code PUT /test/delay} (body: a duration such as {@code
 *     20ms}) to change the added latency at run time, for benchmarks
 */
public record NodeConfig(
    String host,
    int port,
    ByteSize memory,
    Path diskDir,
    ByteSize disk,
    ByteSize maxChunk,
    Duration testDelay,
    double testCorruptRate,
    long testSeed,
    boolean testAdmin) {
  public static final ByteSize DEFAULT_MAX_CHUNK = ByteSize.ofMiB(4);

  public NodeConfig {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("listen port must be 0..65535, got " + port);
    }
    if (testDelay.isNegative()) {
      throw new IllegalArgumentException("--test-delay must not be negative, got " + testDelay);
    }
    if (!(testCorruptRate >= 0 && testCorruptRate <= 1)) {
      throw new IllegalArgumentException(
          "--test-corrupt-rate must be between 0 and 1, got " + testCorruptRate);
    }
    if (maxChunk.bytes() < 1 || maxChunk.bytes() > Integer.MAX_VALUE / 2) {
      throw new IllegalArgumentException("max chunk size out of range: " + maxChunk);
    }
  }

  /** Parses {@code HOST:PORT} for {@code --listen}. */
  public static String[] parseListen(String listen) {
    int colon = listen.lastIndexOf(':');
    if (colon <= 0 || colon == listen.length() - 1) {
      throw new IllegalArgumentException(
          "--listen must be HOST:PORT (e.g. 127.0.0.1:7070, port 0 picks a free one), got \""
              + listen
              + "\"");
    }
    String port = listen.substring(colon + 1);
    if (!port.matches("\\d{1,5}")) {
      throw new IllegalArgumentException("--listen port is not a number in \"" + listen + "\"");
    }
    return new String[] {listen.substring(0, colon), port};
  }
}
