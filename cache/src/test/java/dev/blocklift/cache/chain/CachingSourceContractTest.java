package dev.blocklift.cache.chain;

import dev.blocklift.cache.tier.MemoryTier;
import dev.blocklift.core.ChunkName;
import dev.blocklift.store.ChunkSource;
import dev.blocklift.store.ChunkSourceContract;
import dev.blocklift.store.FakeChunkSource;
import java.time.Duration;
import java.util.Map;

/** CachingSource keeps the ChunkSource contract over a lower source that can lie. */
class CachingSourceContractTest extends ChunkSourceContract {
  FakeChunkSource lower;

  @Override
  protected ChunkSource newSource(Map<ChunkName, byte[]> chunks) {
    lower = TieredSourceContractTest.lower(chunks);
    return new CachingSource(
        new MemoryTier(64L << 20),
        lower,
        CachingSource.Options.withTimeout(Duration.ofSeconds(10)));
  }

  @Override
  protected boolean corrupt(ChunkSource source, ChunkName name) {
    return TieredSourceContractTest.lie(lower);
  }
}
