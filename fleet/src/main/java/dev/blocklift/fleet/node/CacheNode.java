package dev.blocklift.fleet.node;

import java.io.IOException;

/**
 * Starts a cache node from a {@link NodeConfig}: the store (the cache module's memory tier over its
 * disk tier) and the server, wired together.
 */
public final class CacheNode {
  private CacheNode() {}

  public static CacheNodeServer start(NodeConfig config) throws Exception {
    ShardStore store =
        new CacheTierShardStore(
            config.memory().bytes(),
            config.diskDir(),
            config.disk().bytes(),
            (int) config.maxChunk().bytes());
    CacheNodeServer server = new CacheNodeServer(config, store);
    try {
      server.start();
    } catch (IOException e) {
      server.close();
      throw new dev.blocklift.core.BlockliftException(
          "cannot listen on " + config.host() + ":" + config.port() + ": " + e.getMessage(), e);
    }
    return server;
  }
}
