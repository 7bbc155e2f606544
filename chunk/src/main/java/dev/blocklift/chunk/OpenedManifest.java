package dev.blocklift.chunk;

import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ChunkName;
import dev.blocklift.core.CorruptChunkException;
import dev.blocklift.core.CorruptDataException;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Optional;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A manifest whose key table has been unsealed with its tenant's key, and so authenticated as a
 * whole. Factory and use:
 *
 * <pre>{@code
 * public static OpenedManifest open(byte[] bytes, KeyService keys, TenantId tenant, ImageName name)
 * public Manifest manifest()
 * public byte[] decrypt(int index, byte[] ciphertext)   // name check, then GCM; CorruptChunkException
 * }</pre>
 *
 * <p>{@link #open} fails with {@link CorruptDataException} on any change to the public part (its
 * SHA-256 is the GCM AAD of the key table), to the key table or nonce, or to the wrapped key (the
 * key service authenticates it); with {@link BlockliftException} for another tenant, for a manifest
 * sealed as another image or tag (one copied over another: the name is in the authenticated public
 * part), and for a legacy manifest (before version 3: its name and config are not authenticated).
 * Thread-safe and immutable.
 */
public final class OpenedManifest {
  private final Manifest manifest;
  private final Salt salt;
  private final byte[] keys; // dataChunkCount × 32 bytes, in index order
  private final byte[] config;

  private OpenedManifest(Manifest manifest, Salt salt, byte[] keys, byte[] config) {
    this.manifest = manifest;
    this.salt = salt;
    this.keys = keys;
    this.config = config;
  }

  /**
   * Parses, unwraps the data key as {@code tenant}, unseals and authenticates the manifest, and
   * checks that it was sealed as {@code name} (the name it was read under).
   */
  public static OpenedManifest open(
      byte[] manifestBytes, KeyService keys, TenantId tenant, dev.blocklift.core.ImageName name) {
    return open(Manifest.parse(manifestBytes), keys, tenant, name);
  }

  /** As {@link #open(byte[], KeyService, TenantId, dev.blocklift.core.ImageName)}, parsed. */
  public static OpenedManifest open(
      Manifest manifest, KeyService keys, TenantId tenant, dev.blocklift.core.ImageName name) {
    if (manifest.isLegacy()) {
      throw new BlockliftException(
          "manifest of "
              + name
              + " is version "
              + manifest.formatVersion()
              + ", which does not authenticate its name, tag and config; convert the image again"
              + " (blocklift convert) to read it");
    }
    if (!manifest.tenant().equals(tenant)) {
      throw new BlockliftException(
          "manifest of image "
              + manifest.imageDigest()
              + " is sealed for tenant "
              + manifest.tenant()
              + ", not "
              + tenant
              + "; open it with that tenant's key");
    }
    byte[] dataKey = keys.unwrap(tenant, manifest.wrappedKey());
    byte[] table;
    try {
      if (dataKey.length != KeyService.DATA_KEY_BYTES) {
        throw new CorruptDataException(
            "manifest data key unwrapped to " + dataKey.length + " bytes, expected 32");
      }
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(
          Cipher.DECRYPT_MODE,
          new SecretKeySpec(dataKey, "AES"),
          new GCMParameterSpec(ConvergentEncryption.TAG_BYTES * 8, manifest.nonce()));
      c.updateAAD(manifest.publicPartHash());
      table = c.doFinal(manifest.sealedKeyTable());
    } catch (AEADBadTagException e) {
      throw new CorruptDataException(
          "manifest of image "
              + manifest.imageDigest()
              + " does not authenticate: its public part or sealed key table was altered",
          e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-GCM is not available in this JDK", e);
    } finally {
      Arrays.fill(dataKey, (byte) 0);
    }
    Salt salt = Salt.of(Arrays.copyOfRange(table, 0, Salt.LENGTH));
    int keysEnd = Salt.LENGTH + manifest.dataChunkCount() * ChunkKey.LENGTH;
    byte[] k = Arrays.copyOfRange(table, Salt.LENGTH, keysEnd);
    byte[] config = Arrays.copyOfRange(table, keysEnd, table.length);
    Arrays.fill(table, (byte) 0);
    // Authenticated: the name and sequence are in the public part the seal's AAD covers.
    if (!manifest.imageName().orElseThrow().equals(name)) {
      throw new BlockliftException(
          "the manifest stored as "
              + name
              + " was sealed as "
              + manifest.imageName().orElseThrow()
              + ": it was copied or swapped; refusing it");
    }
    return new OpenedManifest(manifest, salt, k, config);
  }

  /** The image's OCI config JSON (entrypoint, env, ...), from the sealed section. A copy. */
  public byte[] imageConfigJson() {
    return config.clone();
  }

  public Manifest manifest() {
    return manifest;
  }

  /** The convergent-encryption salt the chunks were encrypted with. */
  public Salt salt() {
    return salt;
  }

  /** The key of chunk {@code index}, empty for a hole. */
  public Optional<ChunkKey> key(int index) {
    int ordinal = manifest.keyOrdinal(checkIndex(index));
    if (ordinal < 0) {
      return Optional.empty();
    }
    int from = ordinal * ChunkKey.LENGTH;
    return Optional.of(ChunkKey.wrap(Arrays.copyOfRange(keys, from, from + ChunkKey.LENGTH)));
  }

  /**
   * Decrypts chunk {@code index}, in the manifest's {@link Manifest#chunkFormat() chunk format}:
   * verifies {@code ciphertext} against the chunk's name, then the GCM tag, then decodes the frame
   * (decompressing at most the chunk's length) and checks the plaintext length.
   *
   * @throws CorruptChunkException if any check fails
   * @throws IllegalArgumentException if {@code index} is a hole (holes are zeros, never fetched)
   */
  public byte[] decrypt(int index, byte[] ciphertext) {
    ChunkName name =
        manifest
            .chunk(checkIndex(index))
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "chunk " + index + " is a hole: read zeros, do not fetch it"));
    String where = "chunk " + index + " of image " + manifest.imageDigest();
    int expected = manifest.chunkLength(index);
    byte[] plain =
        ConvergentEncryption.decrypt(
            manifest.chunkFormat(),
            name,
            key(index).orElseThrow(),
            salt,
            ciphertext,
            expected,
            where);
    if (plain.length != expected) { // the decoder guarantees it; checked again at the boundary
      throw new CorruptChunkException(
          name, where, "decrypted to " + plain.length + " bytes, expected " + expected);
    }
    return plain;
  }

  private int checkIndex(int index) {
    if (index < 0 || index >= manifest.chunkCount()) {
      throw new IndexOutOfBoundsException(
          "chunk index " + index + " outside 0.." + (manifest.chunkCount() - 1));
    }
    return index;
  }

  @Override
  public String toString() {
    return "Opened" + manifest;
  }
}
