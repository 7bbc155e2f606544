package dev.blocklift.cache.tier;

import dev.blocklift.core.ChunkName;
import dev.blocklift.store.ChunkSource;
import dev.blocklift.store.ChunkSourceContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/** DiskTier keeps the ChunkSource contract (corruption on disk is dropped). */
class DiskTierSourceContractTest extends ChunkSourceContract {
  @TempDir Path dir;

  @Override
  protected ChunkSource newSource(Map<ChunkName, byte[]> chunks) throws Exception {
    DiskTier t = DiskTier.open(dir.resolve("tier"), 64L << 20, DiskTier.LoadCheck.ON_READ);
    for (Map.Entry<ChunkName, byte[]> e : chunks.entrySet()) {
      t.put(e.getKey(), e.getValue());
    }
    return t;
  }

  @Override
  protected boolean corrupt(ChunkSource source, ChunkName name) throws Exception {
    Path file = ((DiskTier) source).path(name);
    byte[] b = Files.readAllBytes(file);
    b[b.length / 2] ^= 1;
    Files.write(file, b);
    return true;
  }
}
