package dev.blocklift.cache.chain;

import dev.blocklift.cache.tier.MemoryTier;
import dev.blocklift.core.ChunkName;
import dev.blocklift.store.ChunkSource;
import dev.blocklift.store.ChunkSourceContract;
import dev.blocklift.store.FakeChunkSource;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** TieredSource keeps the ChunkSource contract over a lower source that can lie. */
class TieredSourceContractTest extends ChunkSourceContract {
  FakeChunkSource lower;

  static FakeChunkSource lower(Map<ChunkName, byte[]> chunks) {
    return FakeChunkSource.of(chunks);
  }

  /** The lower source starts returning flipped bytes: the chain must not pass them on. */
  static boolean lie(FakeChunkSource lower) {
    lower.corruptReads(true);
    return true;
  }

  @Override
  protected ChunkSource newSource(Map<ChunkName, byte[]> chunks) {
    lower = lower(chunks);
    return TieredSource.of(
        List.of(new MemoryTier(1L << 20), new MemoryTier(64L << 20)),
        lower,
        CachingSource.Options.withTimeout(Duration.ofSeconds(10)));
  }

  @Override
  protected boolean corrupt(ChunkSource source, ChunkName name) {
    return lie(lower);
  }
}
