package dev.blocklift.cache.chain;

import dev.blocklift.cache.MapSource;
import dev.blocklift.cache.tier.MemoryTier;
import dev.blocklift.core.ChunkName;
import dev.blocklift.store.ChunkSource;
import dev.blocklift.store.ChunkSourceContract;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** TieredSource keeps the ChunkSource contract over a lower source that can lie. */
class TieredSourceContractTest extends ChunkSourceContract {
  MapSource lower;

  static MapSource lower(Map<ChunkName, byte[]> chunks) {
    MapSource m = new MapSource();
    chunks.values().forEach(m::add);
    return m;
  }

  /** The lower source starts returning flipped bytes: the chain must not pass them on. */
  static boolean lie(MapSource lower) {
    lower.lie = true;
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
