package dev.blocklift.chunk;

import dev.blocklift.core.ChunkName;

/**
 * The result of encrypting one chunk: its name (hex SHA-256 of {@code ciphertext}), its convergent
 * key, the stored bytes (in chunk format 1: nonce, encrypted frame and 16-byte GCM tag), the
 * plaintext length, and how the body is stored ({@link Compression#ZSTD} if the frame is
 * compressed, {@link Compression#NONE} if raw). The array is owned by the caller.
 */
@SuppressWarnings("ArrayRecordComponent") // the ciphertext is handed over, not shared
public record EncryptedChunk(
    ChunkName name, ChunkKey key, byte[] ciphertext, int plaintextLength, Compression stored) {
  /** Bytes as stored (what a store holds and a fetch moves). */
  public int storedLength() {
    return ciphertext.length;
  }

  /** True if the body was stored zstd-compressed. */
  public boolean compressed() {
    return stored == Compression.ZSTD;
  }
}
