package dev.blocklift.cache.tier;

import dev.blocklift.core.ChunkName;
import dev.blocklift.store.ChunkSource;
import dev.blocklift.store.ChunkSourceContract;
import java.util.Map;

/** MemoryTier keeps the ChunkSource contract. */
class MemoryTierSourceContractTest extends ChunkSourceContract {
  @Override
  protected ChunkSource newSource(Map<ChunkName, byte[]> chunks) throws Exception {
    MemoryTier t = new MemoryTier(64L << 20);
    for (Map.Entry<ChunkName, byte[]> e : chunks.entrySet()) {
      t.put(e.getKey(), e.getValue());
    }
    return t;
  }
}
