package dev.blocklift.store;

import dev.blocklift.core.ChunkName;
import java.io.IOException;
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

  @Override
  default void close() throws IOException {}
}
