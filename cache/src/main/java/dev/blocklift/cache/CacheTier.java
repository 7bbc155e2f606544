package dev.blocklift.cache;

import dev.blocklift.core.ChunkName;
import dev.blocklift.store.ChunkSource;
import java.io.IOException;

/**
 * The cache-tier capability: a bounded, evicting holder of chunk CIPHERTEXT keyed by {@link
 * ChunkName} (so tenants share chunks without sharing plaintext). Implementations: {@code
 * dev.blocklift.cache.tier.MemoryTier}, {@code dev.blocklift.cache.tier.DiskTier}.
 *
 * <p>Contract, on top of {@link ChunkSource}'s:
 *
 * <ul>
 *   <li>{@link #get} counts a hit or a miss; {@link #exists} counts nothing and does not touch the
 *       eviction order. A cached entry that fails verification is dropped, counted in {@link
 *       TierStats#corruptDropped()} and reported as a miss: a cache heals itself, it never returns
 *       bad bytes and never throws {@link dev.blocklift.core.CorruptChunkException}.
 *   <li>{@link #sizeBytes()} never exceeds {@link #capacityBytes()}.
 *   <li>Every method is thread-safe. Arrays passed in are copied; arrays returned belong to the
 *       caller.
 * </ul>
 */
public interface CacheTier extends ChunkSource, AutoCloseable {

  /**
   * Offers a chunk to the tier; its eviction policy may refuse it.
   *
   * @return true if the chunk is now stored by this call, false if refused or already present
   * @throws IllegalArgumentException if the bytes fail the tier's {@link ChunkVerifier}
   */
  boolean put(ChunkName name, byte[] ciphertext) throws IOException;

  /**
   * Drops a chunk.
   *
   * @return true if it was there
   */
  boolean remove(ChunkName name) throws IOException;

  /** Bytes held (the sum of the resident chunks' lengths). */
  long sizeBytes();

  /** The byte budget. */
  long capacityBytes();

  /** Number of chunks held. */
  int entryCount();

  /** A snapshot of the counters since the tier was opened. */
  TierStats stats();

  @Override
  default void close() throws IOException {}
}
