package dev.blocklift.cache.tier;

import dev.blocklift.cache.CacheTier;
import dev.blocklift.cache.CacheTierContract;

class MemoryTierTest extends CacheTierContract {
  @Override
  protected CacheTier create(long capacityBytes) {
    return new MemoryTier(capacityBytes);
  }
}
