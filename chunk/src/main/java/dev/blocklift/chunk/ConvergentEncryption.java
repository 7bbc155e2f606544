package dev.blocklift.chunk;

import dev.blocklift.core.ChunkName;
import dev.blocklift.core.CorruptChunkException;
import dev.blocklift.core.Hex;
import dev.blocklift.core.Sha256;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Convergent encryption of one chunk, exactly as docs/chunk-format.md specifies. New chunks are
 * written in chunk format 1:
 *
 * <pre>
 *   K     = SHA-256(salt ‖ P)
 *   F     = 0x00 ‖ P   or   0x01 ‖ zstd(P)                     ({@link ChunkFrame})
 *   nonce = HMAC-SHA-256(K, F)[0..12)
 *   C     = nonce ‖ AES-256-GCM(key K, nonce, plaintext F, aad = salt)   (ciphertext ‖ 16-byte tag)
 *   N     = hex(SHA-256(C))
 * </pre>
 *
 * Chunks of format 0 ({@code C = AES-256-GCM(K, zero nonce, P, aad = salt)}, manifests of version
 * 1) are still read.
 *
 * <p>All hashing and encryption is fed in 64 KiB slices: the JDK's GCM and SHA-256 intrinsics only
 * kick in once the calling method is JIT-compiled, and one {@code doFinal} over a whole 512 KiB
 * buffer runs at ~50 MB/s until then, while repeated {@code update} calls on slices get compiled
 * almost at once. (GCM decryption buffers internally until the tag is checked, so it cannot be
 * sliced the same way.)
 *
 * <p>Thread-safe: every call uses its own {@link Cipher}, {@link Mac} and {@link MessageDigest};
 * zstd contexts come from a pool.
 */
public final class ConvergentEncryption {
  /** Length of the GCM tag appended to every ciphertext. */
  public static final int TAG_BYTES = 16;

  /** Length of the synthetic nonce that starts a chunk of format 1. */
  public static final int NONCE_BYTES = 12;

  static final int SLICE = 64 * 1024;
  private static final int TAG_BITS = TAG_BYTES * 8;
  private static final byte[] ZERO_NONCE = new byte[NONCE_BYTES];

  private ConvergentEncryption() {}

  /** {@code K = SHA-256(salt ‖ P)} over {@code plaintext[offset, offset+length)}. */
  public static ChunkKey deriveKey(Salt salt, byte[] plaintext, int offset, int length) {
    MessageDigest md = Sha256.newDigest();
    md.update(salt.unsafeBytes());
    sliced(md, plaintext, offset, length);
    return ChunkKey.wrap(md.digest());
  }

  /**
   * Encrypts {@code plaintext[offset, offset+length)} in chunk format 1, compressed if {@code
   * compression} is {@link Compression#ZSTD} and that pays off; the name is the hash of the result.
   */
  public static EncryptedChunk encrypt(
      Salt salt, byte[] plaintext, int offset, int length, Compression compression) {
    Objects.checkFromIndexSize(offset, length, plaintext.length);
    ChunkKey key = deriveKey(salt, plaintext, offset, length);
    return ChunkFrame.encode(
        plaintext,
        offset,
        length,
        compression,
        (kind, body, from, n) -> seal(salt, key, kind, body, from, n, length));
  }

  /**
   * As {@link #encrypt(Salt, byte[], int, int, Compression)}, with the key already derived: {@code
   * key} must be {@link #deriveKey deriveKey(salt, plaintext, offset, length)} (a caller that
   * needed the key first, to look the chunk up, saves hashing the plaintext twice).
   */
  public static EncryptedChunk encrypt(
      Salt salt, ChunkKey key, byte[] plaintext, int offset, int length, Compression compression) {
    Objects.checkFromIndexSize(offset, length, plaintext.length);
    return ChunkFrame.encode(
        plaintext,
        offset,
        length,
        compression,
        (kind, body, from, n) -> seal(salt, key, kind, body, from, n, length));
  }

  /** The stored size of a chunk of {@code length} plaintext bytes kept raw (not compressed). */
  public static int rawStoredLength(int length) {
    return NONCE_BYTES + 1 + length + TAG_BYTES;
  }

  public static EncryptedChunk encrypt(Salt salt, byte[] plaintext, Compression compression) {
    return encrypt(salt, plaintext, 0, plaintext.length, compression);
  }

  /**
   * Seals the frame {@code kind ‖ body[offset, offset+length)} under {@code key} in chunk format 1.
   * The writer's only sealing code; tests also use it to seal frames no writer would make.
   *
   * @param plaintextLength the plaintext length the frame stands for (reported, not checked)
   */
  static EncryptedChunk seal(
      Salt salt, ChunkKey key, int kind, byte[] body, int offset, int length, int plaintextLength) {
    byte[] stored = new byte[NONCE_BYTES + 1 + length + TAG_BYTES];
    byte[] kindByte = {(byte) kind};
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key.unsafeBytes(), "HmacSHA256"));
      mac.update(kindByte);
      for (int i = 0; i < length; i += SLICE) {
        mac.update(body, offset + i, Math.min(SLICE, length - i));
      }
      byte[] nonce = Arrays.copyOf(mac.doFinal(), NONCE_BYTES);
      System.arraycopy(nonce, 0, stored, 0, NONCE_BYTES);
      Cipher cipher = cipher(Cipher.ENCRYPT_MODE, key, nonce, salt);
      int out = NONCE_BYTES;
      out += cipher.update(kindByte, 0, 1, stored, out);
      for (int i = 0; i < length; i += SLICE) {
        out += cipher.update(body, offset + i, Math.min(SLICE, length - i), stored, out);
      }
      out += cipher.doFinal(stored, out);
      if (out != stored.length) {
        throw new IllegalStateException("AES-GCM wrote " + out + " of " + stored.length);
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-GCM or HMAC-SHA-256 is not available", e);
    }
    Compression how = kind == ChunkFrame.ZSTD ? Compression.ZSTD : Compression.NONE;
    return new EncryptedChunk(nameOf(stored), key, stored, plaintextLength, how);
  }

  /**
   * Encrypts in chunk format 0 (no frame, zero nonce). No conversion writes it any more; tests use
   * it to make chunks as older versions stored them.
   */
  static EncryptedChunk encryptV0(Salt salt, byte[] plaintext, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, plaintext.length);
    ChunkKey key = deriveKey(salt, plaintext, offset, length);
    byte[] ciphertext = new byte[length + TAG_BYTES];
    try {
      Cipher cipher = cipher(Cipher.ENCRYPT_MODE, key, ZERO_NONCE, salt);
      int out = 0;
      for (int i = 0; i < length; i += SLICE) {
        int n = Math.min(SLICE, length - i);
        out += cipher.update(plaintext, offset + i, n, ciphertext, out);
      }
      out += cipher.doFinal(ciphertext, out);
      if (out != ciphertext.length) {
        throw new IllegalStateException("AES-GCM wrote " + out + " of " + ciphertext.length);
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-GCM is not available in this JDK", e);
    }
    return new EncryptedChunk(nameOf(ciphertext), key, ciphertext, length, Compression.NONE);
  }

  /** {@code N = hex(SHA-256(C))}, hashed in slices. */
  public static ChunkName nameOf(byte[] ciphertext) {
    MessageDigest md = Sha256.newDigest();
    sliced(md, ciphertext, 0, ciphertext.length);
    return ChunkName.of(Hex.encode(md.digest()));
  }

  /**
   * Verifies {@code stored} against {@code name}, then decrypts it (verifying the GCM tag) and, in
   * format 1, decodes its frame; the result is exactly the chunk's {@code length} plaintext bytes.
   *
   * @param length the chunk's plaintext length (from the manifest): it bounds the output, so a
   *     frame that claims or inflates to more is refused
   * @param where where the bytes came from, for the error message
   * @throws CorruptChunkException if the name does not match, the tag does not verify (wrong key,
   *     wrong salt, or tampered bytes), or the plaintext is not exactly {@code length} bytes
   */
  public static byte[] decrypt(
      ChunkFormat format,
      ChunkName name,
      ChunkKey key,
      Salt salt,
      byte[] stored,
      int length,
      String where) {
    if (!MessageDigest.isEqual(nameOf(stored).bytes(), name.bytes())) {
      throw new CorruptChunkException(name, where, "content does not hash to its name");
    }
    return switch (format) {
      case V0 -> {
        if (stored.length != length + TAG_BYTES) {
          throw new CorruptChunkException(
              name,
              where,
              "ciphertext of " + stored.length + " bytes for a chunk of " + length + " bytes");
        }
        yield open(name, key, ZERO_NONCE, salt, stored, 0, where);
      }
      case V1 -> {
        int frameLength = stored.length - NONCE_BYTES - TAG_BYTES;
        if (frameLength < 1 || frameLength > length + 1) {
          throw new CorruptChunkException(
              name,
              where,
              "stored chunk of "
                  + stored.length
                  + " bytes cannot hold a frame of a chunk of "
                  + length
                  + " bytes");
        }
        byte[] nonce = Arrays.copyOf(stored, NONCE_BYTES);
        byte[] frame = open(name, key, nonce, salt, stored, NONCE_BYTES, where);
        yield ChunkFrame.decode(frame, 0, frame.length, length, name, where);
      }
    };
  }

  /** GCM-decrypts {@code stored[from..]} (ciphertext ‖ tag) and checks the tag. */
  private static byte[] open(
      ChunkName name,
      ChunkKey key,
      byte[] nonce,
      Salt salt,
      byte[] stored,
      int from,
      String where) {
    byte[] plaintext = new byte[stored.length - from - TAG_BYTES];
    try {
      Cipher cipher = cipher(Cipher.DECRYPT_MODE, key, nonce, salt);
      int n = cipher.doFinal(stored, from, stored.length - from, plaintext, 0);
      if (n != plaintext.length) {
        throw new CorruptChunkException(name, where, "decrypted to " + n + " bytes");
      }
    } catch (AEADBadTagException e) {
      throw new CorruptChunkException(
          name, where, "GCM authentication failed (wrong key or salt, or tampered)", e);
    } catch (GeneralSecurityException e) {
      throw new CorruptChunkException(name, where, "cannot decrypt: " + e.getMessage(), e);
    }
    return plaintext;
  }

  /** Rounds of {@link #warmUp(int)} that make the JIT compile the crypto paths (~1.5 s CPU). */
  public static final int WARM_UP_ROUNDS = 20_000;

  /**
   * Runs {@code rounds} small (4 KiB) encrypt + decrypt rounds, half of them compressed, so that
   * the JIT compiles the AES-GCM, HMAC and SHA-256 intrinsic paths (and zstd is loaded) before real
   * chunks arrive. Measured here: in a fresh JVM a 512 KiB chunk takes ~11 ms to verify and decrypt
   * (~45 MB/s) and ~15 ms to encrypt; after {@code warmUp(WARM_UP_ROUNDS)} ~0.6 ms and ~1 ms. A
   * server (the agent) should call it once at start, on a background thread, off the read path.
   */
  public static void warmUp(int rounds) {
    byte[] p = new byte[4096];
    Salt salt = Salt.of(new byte[Salt.LENGTH]);
    for (int i = 0; i < rounds; i++) {
      p[0] = (byte) i;
      EncryptedChunk e = encrypt(salt, p, (i & 1) == 0 ? Compression.ZSTD : Compression.NONE);
      decrypt(ChunkFormat.V1, e.name(), e.key(), salt, e.ciphertext(), p.length, "warm-up");
    }
  }

  private static Cipher cipher(int mode, ChunkKey key, byte[] nonce, Salt salt)
      throws GeneralSecurityException {
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
    cipher.init(
        mode, new SecretKeySpec(key.unsafeBytes(), "AES"), new GCMParameterSpec(TAG_BITS, nonce));
    cipher.updateAAD(salt.unsafeBytes());
    return cipher;
  }

  private static void sliced(MessageDigest md, byte[] data, int offset, int length) {
    for (int i = 0; i < length; i += SLICE) {
      md.update(data, offset + i, Math.min(SLICE, length - i));
    }
  }
}
