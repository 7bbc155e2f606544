package dev.blocklift.fleet.node;

import java.io.IOException;
import java.util.Optional;

/**
 * Where a cache node keeps shards: a bounded cache, so a {@code put} may evict others and a {@code
 * get} may miss at any time. Values are opaque encoded shards (the node verifies them itself).
 * Implementations are thread-safe.
 */
public interface ShardStore extends AutoCloseable {
  Optional<byte[]> get(ShardKey key) throws IOException;

  boolean contains(ShardKey key);

  /** Stores (or replaces) the value; may evict other keys. */
  void put(ShardKey key, byte[] value) throws IOException;

  /** Drops a key, e.g. one whose stored bytes failed verification. */
  void remove(ShardKey key) throws IOException;

  /** Counters for {@code /metrics}. */
  Stats stats();

  @Override
  void close() throws IOException;

  /** Point-in-time counters. */
  record Stats(
      long memoryBytes,
      long memoryEntries,
      long diskBytes,
      long diskEntries,
      long memoryEvictions,
      long diskEvictions,
      long memoryHits,
      long diskHits,
      String policy) {}
}
