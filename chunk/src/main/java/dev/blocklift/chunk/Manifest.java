package dev.blocklift.chunk;

import dev.blocklift.core.ChunkName;
import dev.blocklift.core.CorruptDataException;
import dev.blocklift.core.Digest;
import dev.blocklift.core.Hex;
import dev.blocklift.core.Sha256;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/**
 * A parsed manifest, format version 2 or 1 (docs/manifest.md): the same layout, but chunks of a
 * version 2 manifest are in chunk format 1 (framed, maybe compressed) and those of version 1 in
 * chunk format 0 ({@link #chunkFormat()}). Everything here is the <em>public</em> part, readable
 * without keys (garbage collection, {@code inspect}, fetch planning). It is not authenticated until
 * {@link OpenedManifest#open} unseals the key table, whose AES-GCM tag binds the SHA-256 of the
 * public part, so never trust it for reading plaintext without opening.
 *
 * <pre>
 * public part                                        sealed section
 *   magic "BLIFTMAN" | u16 version=2 | u16 flags=0     magic "SEAL" | string16 tenant
 *   string16 image digest | u32 len + config JSON      u32 len + wrapped data key
 *   u32 chunk size | u64 device size                   12-byte nonce
 *   string16 salt root id | u32 chunk count            u32 len + AES-256-GCM(data key, nonce,
 *   chunk count × (u8 0 = hole | u8 1 + 32-byte name)     salt ‖ keys, aad = SHA-256(public part))
 * </pre>
 *
 * Integers are big-endian; {@code string16} is a u16 length and UTF-8 bytes. Parsing is strict: bad
 * magic, version, flags, lengths, counts or trailing bytes throw {@link CorruptDataException}
 * naming the field.
 */
public final class Manifest {
  static final byte[] MAGIC = "BLIFTMAN".getBytes(StandardCharsets.US_ASCII);
  static final byte[] SEAL_MAGIC = "SEAL".getBytes(StandardCharsets.US_ASCII);

  static final byte[] MAC_MAGIC = "MAC1".getBytes(StandardCharsets.US_ASCII);

  /** The version new manifests are written in. */
  public static final int FORMAT_VERSION = 3;

  /** The oldest version still parsed (versions before 3 are not opened: see {@link #isLegacy}). */
  public static final int OLDEST_READABLE_VERSION = 1;

  /** The first tag sequence; each conversion under a name takes a larger one. */
  public static final long FIRST_SEQUENCE = 1;

  static final int MAX_CONFIG_BYTES = 16 * 1024 * 1024;
  static final int MAX_WRAPPED_KEY_BYTES = 64 * 1024;
  static final int NONCE_BYTES = 12;
  static final int NAME_BYTES = 32;

  private final byte[] bytes;
  private final int version;
  private final Optional<dev.blocklift.core.ImageName> imageName;
  private final long sequence;
  private final int macLength;
  private final byte[] macTag;
  private final int publicLength;
  private final Digest imageDigest;
  private final byte[] imageConfigJson;
  private final ChunkSize chunkSize;
  private final long deviceSize;
  private final String saltRootId;
  private final ChunkName[] chunks; // null = hole
  private final int[] keyOrdinal; // index -> position in the key table, -1 for holes
  private final int dataChunkCount;
  private final TenantId tenant;
  private final byte[] wrappedKey;
  private final byte[] nonce;
  private final byte[] sealed;

  private Manifest(byte[] bytes) {
    this.bytes = bytes;
    BinaryReader r = new BinaryReader(bytes, 0, bytes.length, "manifest");
    if (!Arrays.equals(r.bytes(MAGIC.length, "magic"), MAGIC)) {
      throw r.bad("magic", "is not \"BLIFTMAN\": not a blocklift manifest");
    }
    this.version = r.u16("version");
    if (version < OLDEST_READABLE_VERSION || version > FORMAT_VERSION) {
      throw r.bad(
          "version",
          "is "
              + version
              + "; this blocklift reads versions "
              + OLDEST_READABLE_VERSION
              + " to "
              + FORMAT_VERSION);
    }
    int flags = r.u16("flags");
    if (flags != 0) {
      throw r.bad("flags", "is " + flags + ", must be 0 in version " + version);
    }
    if (version >= 3) {
      String n = r.string16("image name");
      try {
        this.imageName = Optional.of(dev.blocklift.core.ImageName.parse(n));
      } catch (IllegalArgumentException e) {
        throw r.bad("image name", "is invalid: " + e.getMessage());
      }
      this.sequence = r.u64("sequence");
      if (sequence < FIRST_SEQUENCE) {
        throw r.bad("sequence", "is " + sequence + ", must be at least " + FIRST_SEQUENCE);
      }
    } else {
      this.imageName = Optional.empty();
      this.sequence = 0;
    }
    String digest = r.string16("image digest");
    try {
      this.imageDigest = Digest.parse(digest);
    } catch (IllegalArgumentException e) {
      throw r.bad("image digest", "is invalid: " + e.getMessage());
    }
    // Version 3 keeps the config sealed (it holds the image's Env: secrets, often).
    this.imageConfigJson =
        version >= 3
            ? new byte[0]
            : r.bytes(r.u32("image config length", MAX_CONFIG_BYTES), "image config");
    int cs = r.u32("chunk size", ChunkSize.MAX);
    try {
      this.chunkSize = ChunkSize.of(cs);
    } catch (IllegalArgumentException e) {
      throw r.bad("chunk size", e.getMessage());
    }
    this.deviceSize = r.u64("device size");
    this.saltRootId = r.string16("salt root id");
    try {
      SaltRoot.checkId(saltRootId);
    } catch (IllegalArgumentException e) {
      throw r.bad("salt root id", e.getMessage());
    }
    int count = r.u32("chunk count", Integer.MAX_VALUE);
    long expected = (deviceSize + cs - 1) / cs;
    if (count != expected) {
      throw r.bad(
          "chunk count",
          "is " + count + " but a device of " + deviceSize + " bytes has " + expected + " chunks");
    }
    if ((long) count > r.remaining()) {
      throw r.bad("chunk count", "is " + count + ", more entries than the manifest has bytes");
    }
    this.chunks = new ChunkName[count];
    this.keyOrdinal = new int[count];
    int data = 0;
    for (int i = 0; i < count; i++) {
      int kind = r.u8("chunk " + i + " kind");
      switch (kind) {
        case 0 -> keyOrdinal[i] = -1;
        case 1 -> {
          chunks[i] = ChunkName.of(Hex.encode(r.bytes(NAME_BYTES, "chunk " + i + " name")));
          keyOrdinal[i] = data++;
        }
        default -> throw r.bad("chunk " + i + " kind", "is " + kind + ", must be 0 (hole) or 1");
      }
    }
    this.dataChunkCount = data;
    this.publicLength = r.position();

    if (!Arrays.equals(r.bytes(SEAL_MAGIC.length, "seal magic"), SEAL_MAGIC)) {
      throw r.bad("seal magic", "is not \"SEAL\"");
    }
    String t = r.string16("tenant");
    try {
      this.tenant = TenantId.of(t);
    } catch (IllegalArgumentException e) {
      throw r.bad("tenant", e.getMessage());
    }
    this.wrappedKey = r.bytes(r.u32("wrapped key length", MAX_WRAPPED_KEY_BYTES), "wrapped key");
    if (wrappedKey.length == 0) {
      throw r.bad("wrapped key length", "is 0");
    }
    this.nonce = r.bytes(NONCE_BYTES, "nonce");
    int sealedLength = r.u32("sealed key table length", Integer.MAX_VALUE);
    long expectedSealed =
        Salt.LENGTH + (long) data * ChunkKey.LENGTH + ConvergentEncryption.TAG_BYTES;
    if (version >= 3
        ? sealedLength < expectedSealed || sealedLength > expectedSealed + MAX_CONFIG_BYTES
        : sealedLength != expectedSealed) {
      throw r.bad(
          "sealed key table length",
          "is "
              + sealedLength
              + " but "
              + data
              + " chunks need "
              + expectedSealed
              + (version >= 3 ? " plus at most 16 MiB of config" : ""));
    }
    this.sealed = r.bytes(sealedLength, "sealed key table");
    if (version >= 3) {
      this.macLength = r.position();
      if (!Arrays.equals(r.bytes(MAC_MAGIC.length, "MAC magic"), MAC_MAGIC)) {
        throw r.bad("MAC magic", "is not \"MAC1\"");
      }
      this.macTag = r.bytes(ManifestMac.LENGTH, "MAC");
    } else {
      this.macLength = 0;
      this.macTag = new byte[0];
    }
    r.expectEnd(version >= 3 ? "MAC" : "sealed key table");
  }

  /** Parses and structurally validates a manifest (no keys needed, not yet authenticated). */
  public static Manifest parse(byte[] manifestBytes) {
    return new Manifest(manifestBytes.clone());
  }

  /** The exact serialized bytes. */
  public byte[] toBytes() {
    return bytes.clone();
  }

  /** SHA-256 of the whole serialized manifest. */
  public Digest digest() {
    return Digest.sha256(bytes);
  }

  /** The manifest's version, as stored: 2, or 1 for manifests written before chunk format 1. */
  public int formatVersion() {
    return version;
  }

  /** The format of this manifest's chunks (its version says which). */
  public ChunkFormat chunkFormat() {
    return ChunkFormat.ofManifestVersion(version);
  }

  public Digest imageDigest() {
    return imageDigest;
  }

  /**
   * The image config of a legacy (version 1 or 2) manifest, which kept it public; empty for version
   * 3, which seals it ({@link OpenedManifest#imageConfigJson()}).
   */
  byte[] legacyImageConfigJson() {
    return imageConfigJson.clone();
  }

  /**
   * Whether this manifest predates version 3: its name, tag and config are not authenticated and it
   * carries no MAC, so it is not opened or trusted by gc (convert the image again).
   */
  public boolean isLegacy() {
    return version < 3;
  }

  /** The image name and tag the manifest was sealed as (authenticated by the seal and the MAC). */
  public Optional<dev.blocklift.core.ImageName> imageName() {
    return imageName;
  }

  /**
   * The tag's sequence: each conversion under a name takes a larger one, so a reader that has seen
   * a sequence can refuse an older manifest (a rollback). 0 for legacy manifests.
   */
  public long sequence() {
    return sequence;
  }

  /**
   * Checks the manifest MAC (what gc does before it trusts the chunk table).
   *
   * @throws CorruptDataException for a legacy manifest (no MAC) or a MAC that does not verify
   */
  public void verifyMac(ManifestMac mac) {
    if (isLegacy()) {
      throw new CorruptDataException(
          "manifest of image "
              + imageDigest
              + " is version "
              + version
              + ", which has no MAC: convert the image again (or remove it) before gc");
    }
    if (!mac.verify(bytes, macLength, macTag)) {
      throw new CorruptDataException(
          "manifest "
              + imageName.map(Object::toString).orElse("?")
              + " fails its MAC: it was altered, or made with another service secret");
    }
  }

  public int chunkSize() {
    return chunkSize.bytes();
  }

  public ChunkSize chunkSizeValue() {
    return chunkSize;
  }

  public long deviceSize() {
    return deviceSize;
  }

  public int chunkCount() {
    return chunks.length;
  }

  /** The chunk at {@code index}, empty for a hole (read as zeros). */
  public Optional<ChunkName> chunk(int index) {
    if (index < 0 || index >= chunks.length) {
      throw new IndexOutOfBoundsException(
          "chunk index " + index + " outside 0.." + (chunks.length - 1));
    }
    return Optional.ofNullable(chunks[index]);
  }

  /** Plaintext length of chunk {@code index}: the chunk size, except possibly the last. */
  public int chunkLength(int index) {
    return chunkSize.lengthOf(index, deviceSize);
  }

  /** Number of chunks that are not holes (= keys in the sealed table). */
  public int dataChunkCount() {
    return dataChunkCount;
  }

  public int holeCount() {
    return chunks.length - dataChunkCount;
  }

  /** Distinct chunk names in first-use order: what garbage collection must keep. */
  public Set<ChunkName> distinctChunks() {
    Set<ChunkName> s = new LinkedHashSet<>();
    for (ChunkName n : chunks) {
      if (n != null) {
        s.add(n);
      }
    }
    return Collections.unmodifiableSet(s);
  }

  public String saltRootId() {
    return saltRootId;
  }

  /** The tenant whose key wraps the data key. */
  public TenantId tenant() {
    return tenant;
  }

  /** SHA-256 of the public part: the AAD of the sealed key table. */
  byte[] publicPartHash() {
    return Sha256.hash(bytes, 0, publicLength);
  }

  int publicLength() {
    return publicLength;
  }

  byte[] wrappedKey() {
    return wrappedKey.clone();
  }

  byte[] nonce() {
    return nonce.clone();
  }

  byte[] sealedKeyTable() {
    return sealed.clone();
  }

  int keyOrdinal(int index) {
    return keyOrdinal[index];
  }

  @Override
  public String toString() {
    return "Manifest[v"
        + version
        + imageName.map(n -> ", name=" + n + "#" + sequence).orElse("")
        + ", image="
        + imageDigest
        + ", chunks="
        + chunks.length
        + " ("
        + holeCount()
        + " holes), chunkSize="
        + chunkSize
        + ", deviceSize="
        + deviceSize
        + ", saltRoot="
        + saltRootId
        + ", tenant="
        + tenant
        + "]";
  }
}
