package dev.blocklift.core;

/**
 * The name of a stored chunk: the lower-case hex SHA-256 of its ciphertext (see DESIGN.md,
 * "Convergent encryption"). Any store or cache can verify a chunk against its name without a key.
 */
public record ChunkName(String hex) implements Comparable<ChunkName> {
  public static final int HEX_LENGTH = 64;

  public ChunkName {
    if (hex == null || !Hex.isLowerHex(hex, HEX_LENGTH)) {
      throw new IllegalArgumentException(
          "chunk name must be 64 lower-case hex digits, got \""
              + (hex == null ? "null" : Hex.abbreviate(hex))
              + "\"");
    }
  }

  public static ChunkName of(String hex) {
    return new ChunkName(hex);
  }

  /** The name that the given ciphertext must be stored under. */
  public static ChunkName ofCiphertext(byte[] ciphertext) {
    return new ChunkName(Hex.encode(Sha256.hash(ciphertext)));
  }

  public static ChunkName ofCiphertext(byte[] ciphertext, int offset, int length) {
    return new ChunkName(Hex.encode(Sha256.hash(ciphertext, offset, length)));
  }

  /** True if {@code ciphertext} hashes to this name. */
  public boolean matches(byte[] ciphertext) {
    return java.security.MessageDigest.isEqual(bytes(), Sha256.hash(ciphertext));
  }

  /**
   * Throws {@link CorruptChunkException} unless {@code ciphertext} hashes to this name.
   *
   * @param where where the bytes came from, for the message ("store file:///x", "cache node ...")
   */
  public void verify(byte[] ciphertext, String where) {
    if (!matches(ciphertext)) {
      throw new CorruptChunkException(this, where, "content does not hash to its name");
    }
  }

  public byte[] bytes() {
    return Hex.decode(hex);
  }

  /** The first {@code n} hex digits, for sharding directories and key prefixes. */
  public String prefix(int n) {
    return hex.substring(0, n);
  }

  @Override
  public int compareTo(ChunkName o) {
    return hex.compareTo(o.hex);
  }

  @Override
  public String toString() {
    return hex;
  }
}
