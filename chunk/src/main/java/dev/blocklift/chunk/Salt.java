package dev.blocklift.chunk;

import dev.blocklift.core.Hex;
import java.security.MessageDigest;

/**
 * The 32-byte convergent-encryption salt of a scope (see {@link ServiceSecret#salt}). It is secret
 * material: {@link #toString()} never prints it.
 */
public final class Salt {
  public static final int LENGTH = 32;
  private final byte[] bytes;

  private Salt(byte[] bytes) {
    this.bytes = bytes;
  }

  /** Copies {@code bytes}, which must be exactly 32 bytes. */
  public static Salt of(byte[] bytes) {
    if (bytes == null || bytes.length != LENGTH) {
      throw new IllegalArgumentException(
          "salt must be 32 bytes, got " + (bytes == null ? "null" : bytes.length + " bytes"));
    }
    return new Salt(bytes.clone());
  }

  public static Salt ofHex(String hex) {
    return of(Hex.decode(hex));
  }

  /** A copy of the salt bytes. */
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
    return o instanceof Salt s && MessageDigest.isEqual(bytes, s.bytes);
  }

  @Override
  public int hashCode() {
    return java.util.Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return "Salt[redacted]";
  }
}
