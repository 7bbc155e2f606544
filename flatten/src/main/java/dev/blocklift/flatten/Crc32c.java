package dev.blocklift.flatten;

/**
 * CRC-32C (Castagnoli) in the form ext4's {@code metadata_csum} uses: the running value is passed
 * in and returned as is, with no pre- or post-inversion, so a checksum can be chained over several
 * pieces (an inode number, then the inode). {@link java.util.zip.CRC32C} cannot be seeded, hence
 * this small table-driven version.
 */
final class Crc32c {
  private static final int[] TABLE = new int[256];

  static {
    for (int i = 0; i < 256; i++) {
      int c = i;
      for (int k = 0; k < 8; k++) {
        c = (c & 1) != 0 ? (c >>> 1) ^ 0x82F63B78 : c >>> 1;
      }
      TABLE[i] = c;
    }
  }

  private Crc32c() {}

  static int update(int crc, byte[] data, int offset, int length) {
    int c = crc;
    for (int i = offset, end = offset + length; i < end; i++) {
      c = TABLE[(c ^ data[i]) & 0xFF] ^ (c >>> 8);
    }
    return c;
  }

  static int update(int crc, byte[] data) {
    return update(crc, data, 0, data.length);
  }

  /** Chains a little-endian 32-bit value, as ext4 does with inode and group numbers. */
  static int updateInt(int crc, int value) {
    int c = crc;
    for (int i = 0; i < 4; i++) {
      c = TABLE[(c ^ (value >>> (8 * i))) & 0xFF] ^ (c >>> 8);
    }
    return c;
  }

  /** Chains a little-endian 64-bit value (the block number of an xattr block). */
  static int updateLong(int crc, long value) {
    return updateInt(updateInt(crc, (int) value), (int) (value >>> 32));
  }
}
