package dev.blocklift.chunk.keys;

import dev.blocklift.core.CorruptDataException;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;

/**
 * The wrapped-key layout the local keyring and the PKCS#11 service share: {@code header || nonce
 * (12) || AES-256-GCM(data key) || tag (16)}, the header authenticated as associated data. The
 * services differ only in where the key-encryption key lives, so each hands in its own cipher.
 */
final class GcmKeyWrap {
  static final int NONCE_BYTES = 12;
  static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  private GcmKeyWrap() {}

  static byte[] seal(Cipher cipher, Key kek, byte[] header, byte[] dataKey)
      throws GeneralSecurityException {
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    cipher.init(Cipher.ENCRYPT_MODE, kek, new GCMParameterSpec(TAG_BITS, nonce));
    cipher.updateAAD(header);
    byte[] ct = cipher.doFinal(dataKey);
    byte[] out = new byte[header.length + NONCE_BYTES + ct.length];
    System.arraycopy(header, 0, out, 0, header.length);
    System.arraycopy(nonce, 0, out, header.length, NONCE_BYTES);
    System.arraycopy(ct, 0, out, header.length + NONCE_BYTES, ct.length);
    return out;
  }

  /** Throws {@link CorruptDataException} unless {@code wrapped} has the length a data key needs. */
  static void checkLength(WrappedKeyHeader h, byte[] wrapped, int dataKeyBytes) {
    int expected = h.length() + NONCE_BYTES + dataKeyBytes + TAG_BITS / 8;
    if (wrapped.length != expected) {
      throw new CorruptDataException(
          "wrapped key is " + wrapped.length + " bytes, expected " + expected);
    }
  }

  /** The data key; {@link javax.crypto.AEADBadTagException} if anything was altered. */
  static byte[] open(Cipher cipher, Key kek, WrappedKeyHeader h, byte[] wrapped)
      throws GeneralSecurityException {
    cipher.init(
        Cipher.DECRYPT_MODE, kek, new GCMParameterSpec(TAG_BITS, wrapped, h.length(), NONCE_BYTES));
    cipher.updateAAD(wrapped, 0, h.length());
    return cipher.doFinal(
        wrapped, h.length() + NONCE_BYTES, wrapped.length - h.length() - NONCE_BYTES);
  }
}
