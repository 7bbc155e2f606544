package dev.blocklift.store;

import dev.blocklift.core.ChunkName;
import java.io.IOException;
import java.util.Optional;

/**
 * The read capability: anything chunks can be fetched from (a store, a cache tier, the cache
 * fleet). Tiers are built by wrapping one source in another, as desync builds caches.
 *
 * <p>Contract: missing is {@link Optional#empty()}; bytes that do not hash to the name are never
 * returned, they raise {@link dev.blocklift.core.CorruptChunkException}; a source that is down
 * raises {@link IOException} in bounded time. Returned arrays belong to the caller.
 */
public interface ChunkSource {
  Optional<byte[]> get(ChunkName name) throws IOException;

  boolean exists(ChunkName name) throws IOException;

  /** A short description for messages and metrics, e.g. {@code file:///var/lib/blocklift/store}. */
  String describe();
}
