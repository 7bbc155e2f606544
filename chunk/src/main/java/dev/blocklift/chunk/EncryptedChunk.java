package dev.blocklift.chunk;

import dev.blocklift.core.ChunkName;

/**
 * The result of encrypting one chunk: its name (hex SHA-256 of {@code ciphertext}), its convergent
 * key, and the ciphertext with the 16-byte GCM tag appended. The array is owned by the caller.
 */
@SuppressWarnings("ArrayRecordComponent") // the ciphertext is handed over, not shared
public record EncryptedChunk(ChunkName name, ChunkKey key, byte[] ciphertext) {
  /** Length of the plaintext this chunk decrypts to. */
  public int plaintextLength() {
    return ciphertext.length - ConvergentEncryption.TAG_BYTES;
  }
}
