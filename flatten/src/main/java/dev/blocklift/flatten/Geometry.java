package dev.blocklift.flatten;

import dev.blocklift.image.LimitExceededException;

/**
 * The fixed shape of one size class: device size, block groups, inode count, and where each kind of
 * block lives. Everything here is a function of the class alone, so two images of one class have
 * their bitmaps, inode tables and metadata region at the same offsets.
 *
 * <pre>
 *   block 0            superblock (at byte 1024)
 *   blocks 1..         group descriptor table
 *   block 256 (1 MiB)  file data, layer by layer            -- the same for EVERY class
 *   ...                free (headroom)
 *   varStart           directory, extent-leaf, symlink and xattr blocks
 *   fixedStart         block bitmaps, inode bitmaps, inode tables (all groups, flex_bg)
 *   totalBlocks        end of device
 * </pre>
 *
 * <p>File data starts at the same block in every class, so a derived image that lands in a bigger
 * class than its base still shares the base's data chunks.
 */
record Geometry(int log2Bytes, long totalBlocks, int groups, int inodesPerGroup) {
  static final int BLOCK_SIZE = 4096;
  static final int BLOCKS_PER_GROUP = 32768;
  static final int INODE_SIZE = 256;
  static final int INODES_PER_BLOCK = BLOCK_SIZE / INODE_SIZE;
  static final int DESC_SIZE = 32;

  /** First block of file data: 1 MiB, a chunk boundary, after the superblock and GDT. */
  static final long DATA_START = 256;

  /** Blocks per 512 KiB chunk. */
  static final long CHUNK_BLOCKS = 128;

  static final int MIN_LOG2 = 26; // 64 MiB
  static final int MAX_LOG2 = 41; // 2 TiB: GDT stays within blocks 1..255, block numbers 32-bit

  /** The class of {@code 2^log2Bytes} bytes. */
  static Geometry ofClass(int log2Bytes) {
    if (log2Bytes < MIN_LOG2 || log2Bytes > MAX_LOG2) {
      throw new IllegalArgumentException("no size class 2^" + log2Bytes);
    }
    long totalBlocks = (1L << log2Bytes) / BLOCK_SIZE;
    int groups = (int) ((totalBlocks + BLOCKS_PER_GROUP - 1) / BLOCKS_PER_GROUP);
    // One inode per 16 KiB of device, like mkfs's default ratio.
    int blocksInFirstGroup = (int) Math.min(totalBlocks, BLOCKS_PER_GROUP);
    int inodesPerGroup = blocksInFirstGroup / 4;
    return new Geometry(log2Bytes, totalBlocks, groups, inodesPerGroup);
  }

  long deviceBytes() {
    return totalBlocks * BLOCK_SIZE;
  }

  long inodeCount() {
    return (long) groups * inodesPerGroup;
  }

  int itableBlocksPerGroup() {
    return inodesPerGroup / INODES_PER_BLOCK;
  }

  int gdtBlocks() {
    return (groups * DESC_SIZE + BLOCK_SIZE - 1) / BLOCK_SIZE;
  }

  long fixedBlocks() {
    return 2L * groups + (long) groups * itableBlocksPerGroup();
  }

  long fixedStart() {
    return totalBlocks - fixedBlocks();
  }

  long blockBitmap(int group) {
    return fixedStart() + group;
  }

  long inodeBitmap(int group) {
    return fixedStart() + groups + group;
  }

  long inodeTable(int group) {
    return fixedStart() + 2L * groups + (long) group * itableBlocksPerGroup();
  }

  /** Room reserved for variable metadata: an eighth of the device. */
  long varBlocks() {
    return totalBlocks / 8;
  }

  long varStart() {
    return fixedStart() - varBlocks();
  }

  /** Free space kept between the end of the data and the metadata region: 1/32 of the device. */
  long headroomBlocks() {
    return totalBlocks / 32;
  }

  long blocksInGroup(int group) {
    return Math.min(BLOCKS_PER_GROUP, totalBlocks - (long) group * BLOCKS_PER_GROUP);
  }

  /** Whether an image with this data end, metadata need and inode count fits the class. */
  boolean fits(long dataEndBlock, long varNeeded, long inodesNeeded) {
    return dataEndBlock + headroomBlocks() <= varStart()
        && varNeeded <= varBlocks()
        && inodesNeeded <= inodeCount();
  }

  /**
   * The smallest class at least {@code minBytes} and at most {@code maxBytes} large that fits;
   * beyond {@code maxBytes} a {@link LimitExceededException} (FlattenOptions.maxDeviceSize).
   */
  static Geometry choose(
      long minBytes, long maxBytes, long dataEndBlock, long varNeeded, long inodesNeeded) {
    for (int log2 = MIN_LOG2; log2 <= MAX_LOG2; log2++) {
      Geometry g = ofClass(log2);
      if (g.deviceBytes() > maxBytes && g.deviceBytes() > minBytes) {
        break;
      }
      if (g.deviceBytes() >= minBytes && g.fits(dataEndBlock, varNeeded, inodesNeeded)) {
        return g;
      }
    }
    String needs =
        dataEndBlock
            + " data blocks, "
            + varNeeded
            + " metadata blocks, "
            + inodesNeeded
            + " inodes";
    if (maxBytes < 1L << MAX_LOG2) {
      throw new LimitExceededException(
          "a device for " + needs, "FlattenOptions.maxDeviceSize", maxBytes);
    }
    throw new IllegalArgumentException(
        "image too large for an ext4 image of at most 2 TiB: " + needs);
  }
}
