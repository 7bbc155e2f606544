package dev.blocklift.fleet.client;

import dev.blocklift.core.ByteSize;
import dev.blocklift.core.ChunkName;
import dev.blocklift.fleet.node.CacheNode;
import dev.blocklift.fleet.node.CacheNodeServer;
import dev.blocklift.fleet.node.NodeConfig;
import dev.blocklift.fleet.placement.Membership;
import dev.blocklift.fleet.placement.NodeAddress;
import dev.blocklift.store.ChunkSource;
import dev.blocklift.store.ChunkSourceContract;
import dev.blocklift.store.FsyncPolicy;
import dev.blocklift.store.local.LocalChunkStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link FleetSource} keeps the {@link ChunkSource} contract over five in-process cache nodes and a
 * local store; every chunk is read once first so the contract's reads are served by the fleet.
 */
class FleetSourceContractTest extends ChunkSourceContract {
  @TempDir Path dir;
  LocalChunkStore store;
  FleetSource fleet;

  @Override
  protected ChunkSource newSource(Map<ChunkName, byte[]> chunks) throws Exception {
    List<NodeAddress> nodes = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      CacheNodeServer s =
          closeLater(
              CacheNode.start(
                  new NodeConfig(
                      "127.0.0.1",
                      0,
                      ByteSize.ofMiB(16),
                      dir.resolve("node" + i),
                      ByteSize.ofMiB(64),
                      NodeConfig.DEFAULT_MAX_CHUNK,
                      Duration.ZERO,
                      0,
                      1,
                      false)));
      nodes.add(new NodeAddress("127.0.0.1", s.port()));
    }
    store = closeLater(new LocalChunkStore(dir.resolve("store"), FsyncPolicy.NONE));
    for (Map.Entry<ChunkName, byte[]> e : chunks.entrySet()) {
      store.putIfAbsent(e.getKey(), e.getValue());
    }
    fleet =
        FleetSource.overHttp(
            FleetConfig.defaults().withRequestTimeout(Duration.ofSeconds(5)),
            Membership.fixed(nodes),
            store);
    return fleet;
  }

  /** The store's copy is corrupted: the fleet must not fill or serve those bytes as good. */
  @Override
  protected boolean corrupt(ChunkSource source, ChunkName name) throws Exception {
    Path file = store.path(name);
    byte[] b = Files.readAllBytes(file);
    b[1] ^= 1;
    Files.write(file, b);
    return true;
  }
}
