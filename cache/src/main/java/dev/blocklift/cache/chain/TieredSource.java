package dev.blocklift.cache.chain;

import dev.blocklift.cache.CacheTier;
import dev.blocklift.cache.FetchStats;
import dev.blocklift.cache.PrometheusText;
import dev.blocklift.cache.TierStats;
import dev.blocklift.core.ChunkName;
import dev.blocklift.store.ChunkSource;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A whole tier chain built by wrapping: for tiers {@code [memory, disk]} over {@code store}, it is
 * {@code CachingSource(memory, CachingSource(disk, store))}. A read walks down until a tier has the
 * chunk and fills every tier above on its way back. One instance per worker, shared by every image
 * and mount, so single-flight covers them all.
 */
public final class TieredSource implements ChunkSource {
  private final List<CacheTier> tiers;
  private final ChunkSource authority;
  private final List<CachingSource> levels;
  private final ChunkSource top;

  private TieredSource(List<CacheTier> tiers, ChunkSource authority, List<CachingSource> levels) {
    this.tiers = tiers;
    this.authority = authority;
    this.levels = levels;
    this.top = levels.isEmpty() ? authority : levels.getFirst();
  }

  /**
   * Builds the chain by wrapping each tier, bottom up, around the one below it.
   *
   * @param tiersTopDown the cache tiers, fastest first (e.g. memory, disk)
   * @param authority what the last tier is filled from: the chunk store, or the cache fleet's
   *     client (which itself falls back to the store)
   */
  public static TieredSource of(
      List<? extends CacheTier> tiersTopDown,
      ChunkSource authority,
      CachingSource.Options options) {
    List<CacheTier> tiers = List.copyOf(tiersTopDown);
    List<CachingSource> levels = new ArrayList<>();
    ChunkSource below = authority;
    for (int i = tiers.size() - 1; i >= 0; i--) {
      CachingSource level = new CachingSource(tiers.get(i), below, options);
      levels.addFirst(level);
      below = level;
    }
    return new TieredSource(tiers, authority, List.copyOf(levels));
  }

  @Override
  public Optional<byte[]> get(ChunkName name) throws IOException {
    return top.get(name);
  }

  @Override
  public boolean exists(ChunkName name) throws IOException {
    return top.exists(name);
  }

  @Override
  public String describe() {
    return top.describe();
  }

  public List<CacheTier> tiers() {
    return tiers;
  }

  public ChunkSource authority() {
    return authority;
  }

  /** The chain's levels, top first: level i fills tier i from level i+1 (or the authority). */
  public List<CachingSource> levels() {
    return levels;
  }

  public List<TierStats> tierStats() {
    return tiers.stream().map(CacheTier::stats).toList();
  }

  public List<FetchStats> fetchStats() {
    return levels.stream().map(CachingSource::fetchStats).toList();
  }

  /** All tier and fetch metrics in Prometheus text, names starting with {@code prefix}. */
  public String prometheus(String prefix) {
    return PrometheusText.render(prefix, tierStats(), fetchStats());
  }
}
