package dev.blocklift.chunk;

import dev.blocklift.core.Hex;
import java.security.MessageDigest;

/**
 * A convergent chunk key {@code K = SHA-256(salt ‖ P)}: 32 bytes, AES-256. Secret material: {@link
 * #toString()} never prints it.
 */
public final class ChunkKey {
  public static final int LENGTH = 32;
  private final byte[] bytes;

  private ChunkKey(byte[] bytes) {
    this.bytes = bytes;
  }

  /** Copies {@code bytes}, which must be exactly 32 bytes. */
  public static ChunkKey of(byte[] bytes) {
    if (bytes == null || bytes.length != LENGTH) {
      throw new IllegalArgumentException(
          "chunk key must be 32 bytes, got " + (bytes == null ? "null" : bytes.length + " bytes"));
    }
    return new ChunkKey(bytes.clone());
  }

  static ChunkKey wrap(byte[] bytes) {
    return new ChunkKey(bytes);
  }

  public byte[] bytes() {
    return bytes.clone();
  }

  byte[] unsafeBytes() {
    return bytes;
  }

  public String toHex() {
    return Hex.encode(bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ChunkKey k && MessageDigest.isEqual(bytes, k.bytes);
  }

  @Override
  public int hashCode() {
    return java.util.Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return "ChunkKey[redacted]";
  }
}
