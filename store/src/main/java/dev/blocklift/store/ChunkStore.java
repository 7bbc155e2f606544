package dev.blocklift.store;

import dev.blocklift.core.ChunkName;
import java.io.IOException;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * An authoritative, writable chunk store (a local directory, S3). Chunks are immutable and
 * content-addressed, so writes are put-if-absent and concurrent writers of one name are harmless.
 */
public interface ChunkStore extends ChunkSource, AutoCloseable {
  /**
   * Stores {@code ciphertext} under {@code name} unless already present.
   *
   * @return true if this call stored it, false if it was already there
   * @throws IllegalArgumentException if the bytes do not hash to {@code name}
   */
  boolean putIfAbsent(ChunkName name, byte[] ciphertext) throws IOException;

  /** Every stored chunk; the caller closes the stream. */
  Stream<StoredChunk> list() throws IOException;

  /**
   * Removes a chunk (garbage collection only: chunks are otherwise immutable).
   *
   * @return true if it was there
   */
  boolean delete(ChunkName name) throws IOException;

  /**
   * The listing entry of one chunk, or empty if absent. Garbage collection re-reads it right before
   * deleting, so a chunk a conversion has just {@linkplain #touch touched} is spared. The default
   * scans {@link #list()}; stores override it with a direct lookup.
   */
  default Optional<StoredChunk> stat(ChunkName name) throws IOException {
    try (Stream<StoredChunk> all = list()) {
      return all.filter(c -> c.name().equals(name)).findFirst();
    }
  }

  /**
   * Refreshes the modification time of a present chunk that a conversion is about to reference, so
   * garbage collection's grace period protects it as if it had just been uploaded. Stores that
   * cannot refresh it only check presence (the default).
   *
   * @return false if the chunk is absent (the caller then uploads it)
   */
  default boolean touch(ChunkName name) throws IOException {
    return exists(name);
  }

  /**
   * A batch of writes and re-uses made durable together ({@link ChunkBatch}). The default forwards
   * to this store's own methods, whose writes are durable when they return; the local store defers
   * its fsyncs to {@link ChunkBatch#commit}.
   */
  default ChunkBatch batch() {
    return ChunkBatch.direct(this);
  }

  @Override
  default void close() throws IOException {}
}
