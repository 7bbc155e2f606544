package dev.blocklift.flatten;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Extent trees for one contiguous run of blocks (every file and directory here is contiguous: the
 * layout never interleaves them). One extent maps at most 32768 blocks (128 MiB); up to 4 extents
 * live in the inode; more go to leaf blocks of 340 extents each under an index of up to 4 entries
 * in the inode (depth 1), enough for 170 GiB.
 */
final class Extents {
  static final int MAX_LEN = 32768;
  static final int IN_INODE = 4;
  static final int PER_LEAF = (Geometry.BLOCK_SIZE - 12) / 12; // 340
  static final short MAGIC = (short) 0xF30A;

  private Extents() {}

  static long extentCount(long blocks) {
    return (blocks + MAX_LEN - 1) / MAX_LEN;
  }

  /** Leaf blocks needed for a run of {@code blocks} blocks (0 when the extents fit the inode). */
  static int leafBlocks(long blocks) {
    long n = extentCount(blocks);
    if (n <= IN_INODE) {
      return 0;
    }
    long leaves = (n + PER_LEAF - 1) / PER_LEAF;
    if (leaves > IN_INODE) {
      throw new IllegalArgumentException(
          "file too large: " + blocks + " blocks need more than " + IN_INODE + " extent leaves");
    }
    return (int) leaves;
  }

  /** Writes the 60-byte i_block root for a run at {@code start} (or an empty tree). */
  static void writeRoot(ByteBuffer iblock, int at, long start, long blocks, long firstLeaf) {
    long n = extentCount(blocks);
    int leaves = leafBlocks(blocks);
    if (leaves == 0) {
      header(iblock, at, (int) n, IN_INODE, 0);
      for (int i = 0; i < n; i++) {
        extent(iblock, at + 12 + 12 * i, (long) i * MAX_LEN, start + (long) i * MAX_LEN, blocks);
      }
      return;
    }
    header(iblock, at, leaves, IN_INODE, 1);
    for (int k = 0; k < leaves; k++) {
      int p = at + 12 + 12 * k;
      long leaf = firstLeaf + k;
      iblock.putInt(p, (int) ((long) k * PER_LEAF * MAX_LEN));
      iblock.putInt(p + 4, (int) leaf);
      iblock.putShort(p + 8, (short) (leaf >>> 32));
      iblock.putShort(p + 10, (short) 0);
    }
  }

  /**
   * Writes an i_block root of up to {@value #IN_INODE} runs (each at most {@value #MAX_LEN}
   * blocks), mapped one after the other from logical block 0: a directory cut into segments.
   */
  static void writeRuns(ByteBuffer iblock, int at, long[] starts, int[][] runs) {
    if (runs.length > IN_INODE) {
      throw new IllegalArgumentException(runs.length + " runs do not fit the inode");
    }
    header(iblock, at, runs.length, IN_INODE, 0);
    long logical = 0;
    for (int i = 0; i < runs.length; i++) {
      int p = at + 12 + 12 * i;
      iblock.putInt(p, (int) logical);
      iblock.putShort(p + 4, (short) runs[i][1]);
      iblock.putShort(p + 6, (short) (starts[i] >>> 32));
      iblock.putInt(p + 8, (int) starts[i]);
      logical += runs[i][1];
    }
  }

  /** The {@code k}-th leaf block (checksum tail left zero; the caller seals it). */
  static byte[] leaf(int k, long start, long blocks) {
    byte[] out = new byte[Geometry.BLOCK_SIZE];
    ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
    long n = extentCount(blocks);
    long first = (long) k * PER_LEAF;
    int count = (int) Math.min(PER_LEAF, n - first);
    header(b, 0, count, PER_LEAF, 0);
    for (int i = 0; i < count; i++) {
      long e = first + i;
      extent(b, 12 + 12 * i, e * MAX_LEN, start + e * MAX_LEN, blocks);
    }
    return out;
  }

  /** Offset of the checksum tail in a leaf block. */
  static int tailOffset() {
    return 12 + 12 * PER_LEAF;
  }

  private static void header(ByteBuffer b, int at, int entries, int max, int depth) {
    b.putShort(at, MAGIC);
    b.putShort(at + 2, (short) entries);
    b.putShort(at + 4, (short) max);
    b.putShort(at + 6, (short) depth);
    b.putInt(at + 8, 0);
  }

  private static void extent(ByteBuffer b, int at, long logical, long physical, long total) {
    int len = (int) Math.min(MAX_LEN, total - logical);
    b.putInt(at, (int) logical);
    b.putShort(at + 4, (short) len);
    b.putShort(at + 6, (short) (physical >>> 32));
    b.putInt(at + 8, (int) physical);
  }
}
