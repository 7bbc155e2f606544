package dev.blocklift.flatten;

import dev.blocklift.image.tree.DirectoryNode;
import dev.blocklift.image.tree.FileNode;
import dev.blocklift.image.tree.Node;
import dev.blocklift.image.tree.SymlinkNode;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Allocation of the variable metadata region, from both ends so that what grows in an upper layer
 * moves nothing of the base's:
 *
 * <ul>
 *   <li>directory blocks from the region's start upwards: layer by layer, each directory's segment
 *       of that layer ({@link Directories#segments}) in inode order;
 *   <li>everything else (slow-symlink blocks, extent leaves, xattr blocks, for each inode in inode
 *       order) from the region's end downwards.
 * </ul>
 *
 * With birth-ordered inode numbers a base image's inodes come first, so their symlink, leaf and
 * xattr blocks keep their places in a derived image. Directory blocks start on a chunk boundary and
 * each layer's part starts on a new chunk once the parts below fill one ({@link ChunkPacking}), so
 * an upper layer's directory blocks do not share a chunk with a large base's. A relative offset
 * {@code rel >= 0} is counted from the region's start, {@code rel < 0} back from its end (the fixed
 * metadata's start); the size class fixes both later. Identical xattr blocks are shared
 * (h_refcount), as the kernel does.
 */
final class MetadataPlan {
  static final int FAST_SYMLINK_MAX = 59;

  /** The kernel shares an xattr block among at most this many inodes. */
  static final int MAX_XATTR_REFS = 1024;

  private final int[] metaRel; // dir / slow symlink blocks, -1 if none
  private final int[] metaCount; // dir: total blocks of all runs
  private final int[] runFirst; // dir: index of its first run in runRel / runCount
  private final int[] runs; // dir: number of runs (segments)
  private final List<Integer> runRel = new ArrayList<>();
  private final List<Integer> runCount = new ArrayList<>();
  private final int[] leafRel; // extent leaf blocks, -1 if none
  private final int[] xattrIndex; // index of the distinct xattr block, -1 if none
  private final List<byte[]> xattrBlocks = new ArrayList<>();
  private final List<Integer> xattrRefs = new ArrayList<>();
  private final List<Integer> xattrFirst = new ArrayList<>();
  private final List<Integer> xattrBlockRel = new ArrayList<>();
  private final long used;
  private final long low;
  private final long high;

  private MetadataPlan(InodeCatalog catalog) {
    int max = catalog.maxInode();
    metaRel = new int[max + 1];
    metaCount = new int[max + 1];
    leafRel = new int[max + 1];
    xattrIndex = new int[max + 1];
    runFirst = new int[max + 1];
    runs = new int[max + 1];
    List<long[]> pending = new ArrayList<>(); // {layer, inode, run index}
    Arrays.fill(metaRel, -1);
    Arrays.fill(leafRel, -1);
    Arrays.fill(xattrIndex, -1);
    Map<ByteBuffer, Integer> sharedXattr = new HashMap<>();
    long cursor = 0; // directory blocks, upwards from the start
    long top = 0; // other blocks, downwards from the end
    for (int ino = InodeCatalog.ROOT; ino <= max; ino++) {
      Node node = catalog.node(ino);
      if (node == null) {
        continue;
      }
      long dataBlocks = 0;
      switch (node) {
        case DirectoryNode d -> {
          List<Directories.Segment> segments = Directories.segments(d, ino, catalog);
          runFirst[ino] = runCount.size();
          runs[ino] = segments.size();
          for (int k = 0; k < segments.size(); k++) {
            int blocks = Directories.blockCount(segments.get(k), k == 0);
            if (blocks > Extents.MAX_LEN) {
              throw new IllegalArgumentException(
                  "directory with more than "
                      + Extents.MAX_LEN
                      + " blocks of entries (inode "
                      + ino
                      + ")");
            }
            pending.add(new long[] {segments.get(k).layer(), ino, runCount.size()});
            runCount.add(blocks);
            runRel.add(-1);
            metaCount[ino] += blocks;
          }
        }
        case SymlinkNode s -> {
          // A RawPath is at most 4095 bytes: a slow symlink's target always fits its block.
          if (s.target().length() > FAST_SYMLINK_MAX) {
            metaCount[ino] = 1;
            top += 1;
            metaRel[ino] = (int) -top;
            dataBlocks = 1;
          }
        }
        case FileNode f -> dataBlocks = DataLayout.blocksOf(f.size());
        default -> {}
      }
      int leaves = Extents.leafBlocks(dataBlocks);
      if (leaves > 0) {
        top += leaves;
        leafRel[ino] = (int) -top;
      }
      Xattrs.Encoded x;
      try {
        x = Xattrs.encode(node.attributes().xattrs());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            dev.blocklift.core.Failures.describe(e) + " (inode " + ino + ")", e);
      }
      if (x.block() != null) {
        ByteBuffer key = ByteBuffer.wrap(x.block());
        Integer index = sharedXattr.get(key);
        if (index == null || xattrRefs.get(index) >= MAX_XATTR_REFS) {
          index = xattrBlocks.size();
          sharedXattr.put(key, index);
          xattrBlocks.add(x.block());
          xattrRefs.add(0);
          xattrFirst.add(ino);
          top += 1;
          xattrBlockRel.add((int) -top);
        }
        xattrIndex[ino] = index;
        xattrRefs.set(index, xattrRefs.get(index) + 1);
      }
      if (cursor + top > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("metadata region too large");
      }
    }
    // Directory segments, layer by layer, within a layer in inode order: a layer's directory
    // blocks do not move when an upper layer adds directories or grows one.
    pending.sort(
        java.util.Comparator.<long[]>comparingLong(a -> a[0])
            .thenComparingLong(a -> a[1])
            .thenComparingLong(a -> a[2]));
    long layer = -1;
    ChunkPacking layerStarts = new ChunkPacking(Geometry.CHUNK_BLOCKS, 0, 0);
    for (long[] a : pending) {
      if (a[0] != layer) {
        // A layer's directory blocks start on a fresh chunk after a chunk's worth of them (the
        // low region starts on one); small layers share chunks.
        cursor = layerStarts.next(cursor);
        layer = a[0];
      }
      int run = (int) a[2];
      runRel.set(run, (int) cursor);
      cursor += runCount.get(run);
    }
    if (cursor + top > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("metadata region too large");
    }
    this.used = cursor + top;
    this.low = cursor;
    this.high = top;
  }

  static MetadataPlan plan(InodeCatalog catalog) {
    return new MetadataPlan(catalog);
  }

  /**
   * Blocks the variable region must have: those in use, plus up to one chunk lost to aligning the
   * directory blocks' start.
   */
  long regionNeeded() {
    return used + Geometry.CHUNK_BLOCKS;
  }

  /** Blocks of the variable region in use (directory blocks counting the alignment gaps). */
  long usedBlocks() {
    return used;
  }

  /** Directory blocks, from the region's start. */
  long lowBlocks() {
    return low;
  }

  /** Other blocks, back from the region's end. */
  long highBlocks() {
    return high;
  }

  /** The absolute block of a relative offset, for a region from varStart to fixedStart. */
  static long at(int rel, Geometry g) {
    return rel >= 0 ? lowStart(g) + rel : g.fixedStart() + rel;
  }

  /** Where directory blocks start: the first chunk boundary at or after the region's start. */
  static long lowStart(Geometry g) {
    return DataLayout.alignChunk(g.varStart());
  }

  /** A directory's runs: {relative start, blocks} pairs in logical order. */
  int[][] dirRuns(int ino) {
    int[][] out = new int[runs[ino]][];
    for (int k = 0; k < out.length; k++) {
      out[k] = new int[] {runRel.get(runFirst[ino] + k), runCount.get(runFirst[ino] + k)};
    }
    return out;
  }

  int metaRel(int ino) {
    return metaRel[ino];
  }

  int metaCount(int ino) {
    return metaCount[ino];
  }

  int leafRel(int ino) {
    return leafRel[ino];
  }

  /** Whether the inode uses an xattr block. */
  boolean hasXattrBlock(int ino) {
    return xattrIndex[ino] >= 0;
  }

  /** The relative xattr block of an inode (only if {@link #hasXattrBlock}). */
  int xattrRel(int ino) {
    return xattrBlockRel.get(xattrIndex[ino]);
  }

  /** The xattr block this inode allocates (it is the block's first user), or null. */
  byte[] xattrBlockOwnedBy(int ino) {
    int i = xattrIndex[ino];
    if (i < 0 || xattrFirst.get(i) != ino) {
      return null;
    }
    byte[] block = xattrBlocks.get(i).clone();
    ByteBuffer.wrap(block).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(4, xattrRefs.get(i));
    return block;
  }

  int xattrBlockCount() {
    return xattrBlocks.size();
  }
}
