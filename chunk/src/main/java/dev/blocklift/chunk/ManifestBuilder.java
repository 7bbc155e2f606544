package dev.blocklift.chunk;

import dev.blocklift.core.ChunkName;
import dev.blocklift.core.Digest;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Collects the chunks of one conversion, in any order and from any thread, and seals them into a
 * manifest (docs/manifest.md). Every index must be recorded exactly once, as a chunk or a hole,
 * before {@link #seal}: a conversion whose chunk failed cannot silently produce a manifest with a
 * gap.
 *
 * <pre>{@code
 * var b = new ManifestBuilder(digest, configJson, ChunkSize.DEFAULT, deviceSize, root.id(), salt);
 * for (Chunk c : chunker) {            // encryption and upload in parallel
 *   if (c.isHole()) b.hole(c.index());
 *   else { EncryptedChunk e = ConvergentEncryption.encrypt(salt, c.plaintext(), ZSTD); store(e);
 *          b.chunk(c.index(), e); }
 * }
 * byte[] manifest = b.seal(keyService, tenant, name, sequence, secret.manifestMac()); // publish
 * }</pre>
 *
 * <p>It writes manifests of version {@link Manifest#FORMAT_VERSION}, whose chunks must be in {@link
 * ChunkFormat#CURRENT} (what {@link ConvergentEncryption#encrypt} writes).
 */
public final class ManifestBuilder {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Digest imageDigest;
  private final byte[] imageConfigJson;
  private final ChunkSize chunkSize;
  private final long deviceSize;
  private final String saltRootId;
  private final Salt salt;
  private final ChunkFormat chunkFormat;
  private final ChunkName[] names;
  private final ChunkKey[] keys;
  private final boolean[] recorded;
  private int recordedCount;

  public ManifestBuilder(
      Digest imageDigest,
      byte[] imageConfigJson,
      ChunkSize chunkSize,
      long deviceSize,
      String saltRootId,
      Salt salt) {
    this(
        imageDigest, imageConfigJson, chunkSize, deviceSize, saltRootId, salt, ChunkFormat.CURRENT);
  }

  /** A builder of a manifest whose chunks are in {@code chunkFormat} (tests of old manifests). */
  ManifestBuilder(
      Digest imageDigest,
      byte[] imageConfigJson,
      ChunkSize chunkSize,
      long deviceSize,
      String saltRootId,
      Salt salt,
      ChunkFormat chunkFormat) {
    SaltRoot.checkId(saltRootId);
    if (imageConfigJson.length > Manifest.MAX_CONFIG_BYTES) {
      throw new IllegalArgumentException(
          "image config of " + imageConfigJson.length + " bytes exceeds 16 MiB");
    }
    this.imageDigest = imageDigest;
    this.imageConfigJson = imageConfigJson.clone();
    this.chunkSize = chunkSize;
    this.deviceSize = deviceSize;
    this.saltRootId = saltRootId;
    this.salt = salt;
    this.chunkFormat = chunkFormat;
    int count = chunkSize.chunkCount(deviceSize);
    this.names = new ChunkName[count];
    this.keys = new ChunkKey[count];
    this.recorded = new boolean[count];
  }

  public int chunkCount() {
    return names.length;
  }

  public Salt salt() {
    return salt;
  }

  /** Records a stored chunk. */
  public synchronized void chunk(int index, ChunkName name, ChunkKey key) {
    mark(index);
    names[index] = name;
    keys[index] = key;
  }

  public void chunk(int index, EncryptedChunk chunk) {
    chunk(index, chunk.name(), chunk.key());
  }

  /** Records an all-zero chunk. */
  public synchronized void hole(int index) {
    mark(index);
  }

  private void mark(int index) {
    if (index < 0 || index >= names.length) {
      throw new IndexOutOfBoundsException(
          "chunk index " + index + " outside 0.." + (names.length - 1));
    }
    if (recorded[index]) {
      throw new IllegalStateException("chunk " + index + " recorded twice");
    }
    recorded[index] = true;
    recordedCount++;
  }

  /** The manifest version written: 3, or 1 for a builder of chunk format 0 (tests). */
  private int version() {
    return chunkFormat == ChunkFormat.V0 ? 1 : Manifest.FORMAT_VERSION;
  }

  /** The serialized public part (what {@link Manifest} parses up to the sealed section). */
  private byte[] publicPart(dev.blocklift.core.ImageName name, long sequence) {
    int data = 0;
    for (ChunkName n : names) {
      if (n != null) {
        data++;
      }
    }
    BinaryWriter w = new BinaryWriter(256 + imageConfigJson.length + names.length + data * 32);
    int version = version();
    w.bytes(Manifest.MAGIC).u16(version).u16(0);
    if (version >= 3) {
      w.string16(name.toString());
      w.u64(sequence);
    }
    w.string16(imageDigest.toString());
    if (version < 3) {
      w.u32(imageConfigJson.length).bytes(imageConfigJson);
    }
    w.u32(chunkSize.bytes()).u64(deviceSize);
    w.string16(saltRootId);
    w.u32(names.length);
    for (ChunkName n : names) {
      if (n == null) {
        w.u8(0);
      } else {
        w.u8(1).bytes(n.bytes());
      }
    }
    return w.toByteArray();
  }

  /**
   * Seals the manifest as image {@code name} with tag sequence {@code sequence}, for {@code
   * tenant}: a fresh random data key encrypts {@code salt ‖ keys ‖ config} with AES-256-GCM (aad =
   * SHA-256 of the public part, which holds the name and sequence), {@code keys} wraps the data
   * key, and {@code mac} authenticates the whole for garbage collection.
   *
   * @throws IllegalStateException naming the first index that was never recorded
   */
  public synchronized byte[] seal(
      KeyService keyService,
      TenantId tenant,
      dev.blocklift.core.ImageName name,
      long sequence,
      ManifestMac mac) {
    if (sequence < Manifest.FIRST_SEQUENCE) {
      throw new IllegalArgumentException("sequence must be at least 1, got " + sequence);
    }
    if (recordedCount != names.length) {
      for (int i = 0; i < recorded.length; i++) {
        if (!recorded[i]) {
          throw new IllegalStateException(
              "cannot seal manifest: chunk "
                  + i
                  + " was never recorded ("
                  + (names.length - recordedCount)
                  + " of "
                  + names.length
                  + " missing)");
        }
      }
    }
    byte[] pub = publicPart(name, sequence);
    byte[] dataKey = new byte[KeyService.DATA_KEY_BYTES];
    byte[] nonce = new byte[Manifest.NONCE_BYTES];
    RANDOM.nextBytes(dataKey);
    RANDOM.nextBytes(nonce);
    byte[] table = keyTable();
    byte[] sealed;
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(
          Cipher.ENCRYPT_MODE,
          new SecretKeySpec(dataKey, "AES"),
          new GCMParameterSpec(ConvergentEncryption.TAG_BYTES * 8, nonce));
      c.updateAAD(dev.blocklift.core.Sha256.hash(pub));
      sealed = c.doFinal(table);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-GCM is not available in this JDK", e);
    } finally {
      Arrays.fill(table, (byte) 0);
    }
    byte[] wrapped = keyService.wrap(tenant, dataKey);
    Arrays.fill(dataKey, (byte) 0);
    BinaryWriter w = new BinaryWriter(pub.length + wrapped.length + sealed.length + 64);
    w.bytes(pub);
    w.bytes(Manifest.SEAL_MAGIC);
    w.string16(tenant.value());
    w.u32(wrapped.length).bytes(wrapped);
    w.bytes(nonce);
    w.u32(sealed.length).bytes(sealed);
    if (version() >= 3) {
      byte[] body = w.toByteArray();
      w.bytes(Manifest.MAC_MAGIC).bytes(mac.tag(body, body.length));
    }
    byte[] out = w.toByteArray();
    Manifest.parse(out); // our own output must satisfy the strict reader
    return out;
  }

  private byte[] keyTable() {
    int data = 0;
    for (ChunkName n : names) {
      if (n != null) {
        data++;
      }
    }
    byte[] config = version() >= 3 ? imageConfigJson : new byte[0];
    byte[] t = new byte[Salt.LENGTH + data * ChunkKey.LENGTH + config.length];
    System.arraycopy(salt.unsafeBytes(), 0, t, 0, Salt.LENGTH);
    int pos = Salt.LENGTH;
    for (int i = 0; i < names.length; i++) {
      if (names[i] != null) {
        System.arraycopy(keys[i].unsafeBytes(), 0, t, pos, ChunkKey.LENGTH);
        pos += ChunkKey.LENGTH;
      }
    }
    System.arraycopy(config, 0, t, pos, config.length);
    return t;
  }

  @Override
  public String toString() {
    return "ManifestBuilder[" + imageDigest + ", " + recordedCount + "/" + names.length + "]";
  }
}
