package dev.blocklift.cli;

import dev.blocklift.fleet.node.CacheNodeOptions;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code blocklift cache-node}: one node of the AZ cache fleet (see docs/fleet.md): an HTTP server
 * holding erasure-coded shards of chunk ciphertext in a memory tier over a disk tier. The options
 * are the fleet module's {@link CacheNodeOptions}, shared with the node JVMs tests spawn.
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

  @Mixin CacheNodeOptions node;

  @Override
  public Integer call() throws Exception {
    return node.serve(spec.commandLine().getOut());
  }
}
