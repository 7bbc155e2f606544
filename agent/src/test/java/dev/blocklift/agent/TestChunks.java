package dev.blocklift.agent;

import dev.blocklift.core.ChunkName;
import dev.blocklift.core.CorruptChunkException;
import dev.blocklift.core.Sha256;
import dev.blocklift.store.FakeChunkSource;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Test fixture: chunks a plaintext device image and encrypts it convergently as DESIGN.md says (key
 * = SHA-256(salt ‖ P), AES-256-GCM, zero nonce, aad = salt; name = SHA-256(C)); zero chunks become
 * holes. The ciphertexts go into a {@link FakeChunkSource}.
 */
final class TestChunks implements ChunkMap {
  private final int chunkSize;
  private final long deviceSize;
  private final byte[] salt;
  private final List<Optional<ChunkName>> names = new ArrayList<>();
  private final List<byte[]> keys = new ArrayList<>();
  private final String label;

  TestChunks(String label, byte[] image, int chunkSize, byte[] salt, FakeChunkSource into) {
    this.label = label;
    this.chunkSize = chunkSize;
    this.deviceSize = image.length;
    this.salt = salt.clone();
    for (int off = 0; off < image.length; off += chunkSize) {
      byte[] p = Arrays.copyOfRange(image, off, Math.min(image.length, off + chunkSize));
      if (allZero(p)) {
        names.add(Optional.empty());
        keys.add(null);
        continue;
      }
      byte[] key = Sha256.hash(concat(salt, p));
      byte[] c = crypt(Cipher.ENCRYPT_MODE, key, p);
      ChunkName name = ChunkName.ofCiphertext(c);
      into.put(name, c);
      names.add(Optional.of(name));
      keys.add(key);
    }
  }

  private static boolean allZero(byte[] p) {
    for (byte b : p) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] r = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  private byte[] crypt(int mode, byte[] key, byte[] in) {
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, new byte[12]));
      c.updateAAD(salt);
      return c.doFinal(in);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public int chunkSize() {
    return chunkSize;
  }

  @Override
  public long deviceSize() {
    return deviceSize;
  }

  @Override
  public Optional<ChunkName> chunk(int index) {
    return names.get(index);
  }

  List<ChunkName> storedNames() {
    return names.stream().flatMap(Optional::stream).toList();
  }

  @Override
  public byte[] decrypt(int index, byte[] ciphertext) {
    ChunkName name = names.get(index).orElseThrow();
    name.verify(ciphertext, label);
    return decryptUnverified(index, ciphertext);
  }

  /** Decrypts with this map's key for {@code index}, without checking the name first. */
  byte[] decryptUnverified(int index, byte[] ciphertext) {
    ChunkName name = names.get(index).orElseThrow();
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(
          Cipher.DECRYPT_MODE,
          new SecretKeySpec(keys.get(index), "AES"),
          new GCMParameterSpec(128, new byte[12]));
      c.updateAAD(salt);
      return c.doFinal(ciphertext);
    } catch (GeneralSecurityException e) {
      throw new CorruptChunkException(name, label, "GCM authentication failed", e);
    }
  }

  @Override
  public String describe() {
    return label;
  }
}
