package dev.blocklift.chunk;

import dev.blocklift.core.BlockliftException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The service secret from which every salt is derived: 32 random bytes in a 0600 file (by
 * convention {@code $BLOCKLIFT_HOME/service-secret}). Losing it only stops new conversions from
 * deduplicating against old ones; manifests carry their salt sealed, so reading never needs it.
 *
 * <p>{@code salt = HMAC-SHA-256(secret, scope)}, {@code scope = UTF-8(rootId)} or, with a label,
 * {@code UTF-8(rootId) ‖ 0x00 ‖ UTF-8(label)} (docs/chunk-format.md).
 */
public final class ServiceSecret {
  public static final int LENGTH = 32;
  private final byte[] secret;

  private ServiceSecret(byte[] secret) {
    this.secret = secret;
  }

  public static ServiceSecret of(byte[] secret) {
    if (secret.length != LENGTH) {
      throw new IllegalArgumentException(
          "service secret must be 32 bytes, got " + secret.length + " bytes");
    }
    return new ServiceSecret(secret.clone());
  }

  /**
   * Reads the secret file, creating it with 32 random bytes (mode 0600) if absent. Refuses a file
   * readable by group or others.
   */
  public static ServiceSecret loadOrCreate(Path file) throws IOException {
    if (!Files.exists(file)) {
      byte[] fresh = new byte[LENGTH];
      new SecureRandom().nextBytes(fresh);
      SecureFiles.createOwnerOnly(file, fresh); // false: someone else won the race; read theirs
    }
    SecureFiles.requireOwnerOnly(file, "service secret");
    byte[] data = Files.readAllBytes(file);
    if (data.length != LENGTH) {
      throw new BlockliftException(
          "service secret "
              + file
              + " must hold exactly 32 bytes, has "
              + data.length
              + "; restore it from backup (a new one stops deduplication with older images)");
    }
    return new ServiceSecret(data);
  }

  /** The salt of a scope: a salt root id plus an optional label. */
  public Salt salt(String rootId, Optional<String> label) {
    SaltRoot.checkId(rootId);
    byte[] root = rootId.getBytes(StandardCharsets.UTF_8);
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      mac.update(root);
      if (label.isPresent()) {
        if (label.get().isEmpty() || label.get().indexOf('\0') >= 0) {
          throw new IllegalArgumentException(
              "salt label must be non-empty and free of NUL, got \"" + label.get() + "\"");
        }
        mac.update((byte) 0);
        mac.update(label.get().getBytes(StandardCharsets.UTF_8));
      }
      return Salt.of(mac.doFinal());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA-256 is not available in this JDK", e);
    }
  }

  public Salt salt(String rootId) {
    return salt(rootId, Optional.empty());
  }

  /**
   * The key of the manifest MAC (docs/manifest.md): {@code HMAC-SHA-256(secret, "blocklift manifest
   * mac v1")}, a key of its own so that no salt can ever equal it.
   */
  public ManifestMac manifestMac() {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return new ManifestMac(
          mac.doFinal("blocklift manifest mac v1".getBytes(StandardCharsets.US_ASCII)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA-256 is not available in this JDK", e);
    }
  }

  @Override
  public String toString() {
    return "ServiceSecret[redacted]";
  }
}
