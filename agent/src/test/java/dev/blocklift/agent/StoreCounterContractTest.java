package dev.blocklift.agent;

import dev.blocklift.core.ChunkName;
import dev.blocklift.store.ChunkSource;
import dev.blocklift.store.ChunkSourceContract;
import dev.blocklift.store.FsyncPolicy;
import dev.blocklift.store.local.LocalChunkStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/** {@link StoreCounter} passes the {@link ChunkSource} contract of the store it counts. */
class StoreCounterContractTest extends ChunkSourceContract {
  @TempDir Path dir;
  LocalChunkStore store;

  @Override
  protected ChunkSource newSource(Map<ChunkName, byte[]> chunks) throws Exception {
    store = closeLater(new LocalChunkStore(dir.resolve("chunks"), FsyncPolicy.NONE));
    for (Map.Entry<ChunkName, byte[]> e : chunks.entrySet()) {
      store.putIfAbsent(e.getKey(), e.getValue());
    }
    return new StoreCounter(store);
  }

  @Override
  protected boolean corrupt(ChunkSource source, ChunkName name) throws Exception {
    Path file = store.path(name);
    byte[] b = Files.readAllBytes(file);
    b[0] ^= 1;
    Files.write(file, b);
    return true;
  }
}
