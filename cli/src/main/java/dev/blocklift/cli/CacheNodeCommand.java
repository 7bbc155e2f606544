package dev.blocklift.cli;

import dev.blocklift.core.ByteSize;
import dev.blocklift.fleet.node.CacheNode;
import dev.blocklift.fleet.node.CacheNodeMain;
import dev.blocklift.fleet.node.CacheNodeServer;
import dev.blocklift.fleet.node.NodeConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code blocklift cache-node}: one node of the AZ cache fleet (see docs/fleet.md): an HTTP server
 * holding erasure-coded shards of chunk ciphertext in a memory tier over a disk tier.
 */
@Command(
    name = "cache-node",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description =
        "Run a cache node of the AZ cache fleet: GET/PUT/HEAD /shards/<chunk>/<index>, /health,"
            + " /metrics (Prometheus). Holds ciphertext shards only; never sees a key.")
public final class CacheNodeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

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
      names = "--test-admin",
      hidden = true,
      description = "TEST ONLY: accept PUT /test/delay to change the added latency.")
  boolean testAdmin;

  @Override
  public Integer call() throws Exception {
    String[] hp = NodeConfig.parseListen(listen);
    NodeConfig config =
        new NodeConfig(
            hp[0],
            Integer.parseInt(hp[1]),
            ByteSize.parse(memory),
            disk,
            ByteSize.parse(diskSize),
            ByteSize.parse(maxChunk),
            CacheNodeMain.parseDuration(testDelay),
            testCorruptRate,
            1,
            testAdmin);
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
    spec.commandLine()
        .getOut()
        .printf(
            "cache node listening on %s:%d (memory %s, disk %s in %s)%n",
            hp[0], server.port(), config.memory(), config.disk(), disk);
    spec.commandLine().getOut().flush();
    Thread.currentThread().join();
    return 0;
  }
}
