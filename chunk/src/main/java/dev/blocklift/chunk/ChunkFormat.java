package dev.blocklift.chunk;

/**
 * How a stored chunk is laid out (docs/chunk-format.md). A chunk carries no format marker of its
 * own: the manifest version says which format all of its chunks use.
 */
public enum ChunkFormat {
  /**
   * Chunk format 0, in manifests of version 1: {@code C = AES-256-GCM(K, zero nonce, P, aad =
   * salt)}, no frame, no compression. Read only: new conversions never write it.
   */
  V0(0, 1),
  /**
   * Chunk format 1, in manifests of version 3 (and the unreleased version 2): {@code C = nonce ‖
   * AES-256-GCM(K, nonce, F, aad = salt)} where the frame {@code F} is a kind byte (raw or zstd)
   * and the body, and the nonce is synthetic (an HMAC of the frame under K).
   */
  V1(1, 3);

  /** The format new conversions write. */
  public static final ChunkFormat CURRENT = V1;

  private final int number;
  private final int manifestVersion;

  ChunkFormat(int number, int manifestVersion) {
    this.number = number;
    this.manifestVersion = manifestVersion;
  }

  /** The format number of docs/chunk-format.md: 0 or 1. */
  public int number() {
    return number;
  }

  /** The manifest version whose chunks use this format. */
  public int manifestVersion() {
    return manifestVersion;
  }

  /** The chunk format of a manifest of version {@code version}. */
  static ChunkFormat ofManifestVersion(int version) {
    if (version == 2) {
      return V1; // version 2: chunk format 1 in the old manifest layout
    }
    for (ChunkFormat f : values()) {
      if (f.manifestVersion == version) {
        return f;
      }
    }
    throw new IllegalArgumentException("no chunk format for manifest version " + version);
  }

  @Override
  public String toString() {
    return "chunk format " + number;
  }
}
