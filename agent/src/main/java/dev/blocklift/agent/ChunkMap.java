package dev.blocklift.agent;

import dev.blocklift.core.ChunkName;
import java.util.Optional;

/**
 * What a lazy device needs to know about one image: its geometry, which chunk backs each index
 * (empty = a hole of zeros, never fetched), and how to turn a fetched ciphertext into plaintext.
 *
 * <p>The production implementation adapts an opened (key-unsealed) manifest; tests build one from
 * chunks they encrypt themselves.
 */
public interface ChunkMap {
  /** Bytes per chunk (the last chunk may be shorter). */
  int chunkSize();

  /** Bytes in the device. */
  long deviceSize();

  default int chunkCount() {
    return Math.toIntExact((deviceSize() + chunkSize() - 1) / chunkSize());
  }

  /** The chunk at {@code index}, or empty for a hole. */
  Optional<ChunkName> chunk(int index);

  /**
   * Verifies {@code ciphertext} (the chunk as stored) against the chunk's name, decrypts and
   * authenticates it, and decompresses it if it was stored compressed; the result is exactly {@link
   * #chunkLength} bytes.
   *
   * @throws dev.blocklift.core.CorruptChunkException if the name or the GCM tag does not match, or
   *     the frame would not give exactly the chunk's bytes
   */
  byte[] decrypt(int index, byte[] ciphertext);

  /** A short label for logs and metrics, e.g. the image reference. */
  String describe();

  /** The plaintext length of chunk {@code index}. */
  default int chunkLength(int index) {
    long start = (long) index * chunkSize();
    return (int) Math.min(chunkSize(), deviceSize() - start);
  }
}
