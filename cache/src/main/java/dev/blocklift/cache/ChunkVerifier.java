package dev.blocklift.cache;

import dev.blocklift.core.ChunkName;
import dev.blocklift.core.CorruptChunkException;

/**
 * What "these bytes are the entry for this key" means to a tier. For whole chunks it is the content
 * address ({@link #NAME_HASH}); a tier holding something else under a 256-bit key (the cache
 * fleet's erasure-coded shards, which carry their own checksum) supplies its own check.
 */
@FunctionalInterface
public interface ChunkVerifier {
  /**
   * Checks one entry.
   *
   * @param where where the bytes came from, for the message
   * @throws CorruptChunkException if the bytes are not a valid entry for {@code name}
   */
  void verify(ChunkName name, byte[] bytes, String where);

  /** The bytes must hash (SHA-256) to the name. */
  ChunkVerifier NAME_HASH = (name, bytes, where) -> name.verify(bytes, where);
}
