package dev.blocklift.chunk;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The manifest MAC: HMAC-SHA-256 under a key derived from the service secret, over a whole sealed
 * manifest. It is what lets garbage collection, which has the service secret but no tenant keys,
 * trust a manifest's public chunk table: a changed bit makes gc stop before deleting anything.
 * Anyone who can convert into the store holds the service secret, so the MAC authenticates
 * manifests as made by this service, not by a tenant (the seal does that).
 */
public final class ManifestMac {
  static final int LENGTH = 32;
  private final byte[] key;

  ManifestMac(byte[] key) {
    if (key.length != 32) {
      throw new IllegalArgumentException("a manifest MAC key is 32 bytes, got " + key.length);
    }
    this.key = key.clone();
  }

  /** The MAC of {@code bytes[0, length)}. */
  byte[] tag(byte[] bytes, int length) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      mac.update(bytes, 0, length);
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA-256 is not available in this JDK", e);
    }
  }

  /** Whether {@code tag} is the MAC of {@code bytes[0, length)} (constant time). */
  boolean verify(byte[] bytes, int length, byte[] tag) {
    return MessageDigest.isEqual(tag(bytes, length), tag);
  }

  @Override
  public String toString() {
    return "ManifestMac[redacted]";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ManifestMac m && Arrays.equals(m.key, key);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(key);
  }
}
