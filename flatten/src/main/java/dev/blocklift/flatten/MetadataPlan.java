package dev.blocklift.flatten;

import dev.blocklift.image.tree.DirectoryNode;
import dev.blocklift.image.tree.FileNode;
import dev.blocklift.image.tree.Node;
import dev.blocklift.image.tree.SymlinkNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Allocation of the variable metadata region: for each inode in ascending order, its directory or
 * slow-symlink blocks, then its extent leaf blocks, then (for the first inode using it) its xattr
 * block. Offsets are relative to the region's start, which the size class fixes later. Identical
 * xattr blocks are shared (h_refcount), as the kernel does.
 */
final class MetadataPlan {
  static final int FAST_SYMLINK_MAX = 59;

  /** The kernel shares an xattr block among at most this many inodes. */
  static final int MAX_XATTR_REFS = 1024;

  private final int[] metaRel; // dir / slow symlink blocks, -1 if none
  private final int[] metaCount;
  private final int[] leafRel; // extent leaf blocks, -1 if none
  private final int[] xattrIndex; // index of the distinct xattr block, -1 if none
  private final List<byte[]> xattrBlocks = new ArrayList<>();
  private final List<Integer> xattrRefs = new ArrayList<>();
  private final List<Integer> xattrFirst = new ArrayList<>();
  private final List<Integer> xattrBlockRel = new ArrayList<>();
  private final long used;

  private MetadataPlan(InodeCatalog catalog) {
    int max = catalog.maxInode();
    metaRel = new int[max + 1];
    metaCount = new int[max + 1];
    leafRel = new int[max + 1];
    xattrIndex = new int[max + 1];
    Arrays.fill(metaRel, -1);
    Arrays.fill(leafRel, -1);
    Arrays.fill(xattrIndex, -1);
    Map<ByteBuffer, Integer> sharedXattr = new HashMap<>();
    long cursor = 0;
    for (int ino = InodeCatalog.ROOT; ino <= max; ino++) {
      Node node = catalog.node(ino);
      if (node == null) {
        continue;
      }
      long dataBlocks = 0;
      switch (node) {
        case DirectoryNode d -> {
          metaCount[ino] = Directories.blockCount(d);
          metaRel[ino] = (int) cursor;
          cursor += metaCount[ino];
          dataBlocks = metaCount[ino];
        }
        case SymlinkNode s -> {
          int len = s.target().getBytes(StandardCharsets.UTF_8).length;
          if (len >= Geometry.BLOCK_SIZE) {
            throw new IllegalArgumentException(
                "symlink target longer than 4095 bytes: \""
                    + s.target().substring(0, 40)
                    + "...\"");
          }
          if (len > FAST_SYMLINK_MAX) {
            metaCount[ino] = 1;
            metaRel[ino] = (int) cursor;
            cursor += 1;
            dataBlocks = 1;
          }
        }
        case FileNode f -> dataBlocks = DataLayout.blocksOf(f.size());
        default -> {}
      }
      int leaves = Extents.leafBlocks(dataBlocks);
      if (leaves > 0) {
        leafRel[ino] = (int) cursor;
        cursor += leaves;
      }
      Xattrs.Encoded x;
      try {
        x = Xattrs.encode(node.attributes().xattrs());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(e.getMessage() + " (inode " + ino + ")", e);
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
          xattrBlockRel.add((int) cursor);
          cursor += 1;
        }
        xattrIndex[ino] = index;
        xattrRefs.set(index, xattrRefs.get(index) + 1);
      }
      if (cursor > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("metadata region too large");
      }
    }
    this.used = cursor;
  }

  static MetadataPlan plan(InodeCatalog catalog) {
    return new MetadataPlan(catalog);
  }

  /** Blocks of the variable region in use. */
  long usedBlocks() {
    return used;
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

  /** The relative xattr block of an inode, or -1. */
  int xattrRel(int ino) {
    int i = xattrIndex[ino];
    return i < 0 ? -1 : xattrBlockRel.get(i);
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
