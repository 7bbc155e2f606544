package dev.blocklift.flatten;

import dev.blocklift.image.tree.ContentRef;
import dev.blocklift.image.tree.FileNode;
import dev.blocklift.image.tree.LayerFiles;
import java.util.Arrays;
import java.util.List;

/**
 * Where each regular file's bytes go, decided from the layers' file lists alone:
 *
 * <ul>
 *   <li>data starts at {@link Geometry#DATA_START} (1 MiB) in every size class;
 *   <li>each layer starts on a 512 KiB chunk boundary after the previous layer's end;
 *   <li>within a layer, every file entry with data gets space in tar order, whether or not it
 *       survives: a file an upper layer deleted or replaced keeps its space as a hole, so nothing
 *       after it moves;
 *   <li>a file of at least 512 KiB starts on a chunk boundary;
 *   <li>if two distinct inodes name the same layer entry (ext4 cannot share blocks between inodes),
 *       the first keeps the layer position and the others get copies after the last layer.
 * </ul>
 *
 * Memory: one long and one int per surviving file, plus one long per inode for its start block.
 */
final class DataLayout {
  private final long[] keys; // (layer << 40) | entry, sorted
  private final int[] inodes; // parallel to keys
  private final long[] starts; // by inode: first data block, 0 if none
  private final long dataEnd;
  private final long dataBytes;
  private final int files;

  private DataLayout(
      long[] keys, int[] inodes, long[] starts, long dataEnd, long dataBytes, int files) {
    this.keys = keys;
    this.inodes = inodes;
    this.starts = starts;
    this.dataEnd = dataEnd;
    this.dataBytes = dataBytes;
    this.files = files;
  }

  static long key(int layer, long entry) {
    if (layer >= (1 << 20) || entry >= (1L << 40)) {
      throw new IllegalArgumentException("layer/entry index too large: " + layer + "/" + entry);
    }
    return ((long) layer << 40) | entry;
  }

  static long blocksOf(long size) {
    return (size + Geometry.BLOCK_SIZE - 1) / Geometry.BLOCK_SIZE;
  }

  static long alignChunk(long block) {
    return (block + Geometry.CHUNK_BLOCKS - 1) / Geometry.CHUNK_BLOCKS * Geometry.CHUNK_BLOCKS;
  }

  static DataLayout plan(InodeCatalog catalog, List<LayerFiles> layers) {
    int max = catalog.maxInode();
    int n = 0;
    long[] packed = new long[16];
    int[] byIndex = new int[16];
    for (int ino = InodeCatalog.FIRST_INODE; ino <= max; ino++) {
      if (catalog.node(ino) instanceof FileNode f && f.size() > 0) {
        ContentRef ref = f.content().orElseThrow();
        if (n == packed.length) {
          packed = Arrays.copyOf(packed, n * 2);
          byIndex = Arrays.copyOf(byIndex, n * 2);
        }
        packed[n] = key(ref.layerIndex(), ref.entryIndex());
        byIndex[n] = ino;
        n++;
      }
    }
    // Sort by (key, inode): inodes are already ascending, so a stable sort by key is enough.
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    long[] pk = packed;
    Arrays.sort(order, (a, b) -> Long.compare(pk[a], pk[b]));
    long[] keys = new long[n];
    int[] inodes = new int[n];
    for (int i = 0; i < n; i++) {
      keys[i] = packed[order[i]];
      inodes[i] = byIndex[order[i]];
    }
    long[] starts = new long[max + 1];
    boolean[] placed = new boolean[n];
    long cursor = Geometry.DATA_START;
    long bytes = 0;
    for (LayerFiles layer : layers) {
      cursor = alignChunk(cursor);
      for (LayerFiles.Entry e : layer.files()) {
        long blocks = blocksOf(e.size());
        if (blocks == 0) {
          continue;
        }
        if (e.size() >= Geometry.CHUNK_BLOCKS * Geometry.BLOCK_SIZE) {
          cursor = alignChunk(cursor);
        }
        int i = first(keys, key(layer.layerIndex(), e.entryIndex()));
        if (i >= 0 && !placed[i]) {
          FileNode f = (FileNode) catalog.node(inodes[i]);
          if (f.size() != e.size()) {
            throw new IllegalArgumentException(
                "layer "
                    + layer.layerIndex()
                    + " entry "
                    + e.entryIndex()
                    + " has "
                    + e.size()
                    + " bytes but the tree's file has "
                    + f.size());
          }
          starts[inodes[i]] = cursor;
          placed[i] = true;
          bytes += e.size();
        }
        cursor += blocks;
      }
    }
    // Copies for inodes that share a layer entry with a lower-numbered inode.
    cursor = alignChunk(cursor);
    for (int i = 0; i < n; i++) {
      if (placed[i]) {
        continue;
      }
      FileNode f = (FileNode) catalog.node(inodes[i]);
      if (i == 0 || keys[i - 1] != keys[i] || !placed[first(keys, keys[i])]) {
        ContentRef ref = f.content().orElseThrow();
        throw new IllegalArgumentException(
            "a file refers to layer "
                + ref.layerIndex()
                + " entry "
                + ref.entryIndex()
                + ", which no layer's file list has");
      }
      if (f.size() >= Geometry.CHUNK_BLOCKS * Geometry.BLOCK_SIZE) {
        cursor = alignChunk(cursor);
      }
      starts[inodes[i]] = cursor;
      cursor += blocksOf(f.size());
      bytes += f.size();
    }
    return new DataLayout(keys, inodes, starts, cursor, bytes, n);
  }

  /** Index of the first occurrence of {@code key}, or -1. */
  private static int first(long[] keys, long key) {
    int i = Arrays.binarySearch(keys, key);
    if (i < 0) {
      return -1;
    }
    while (i > 0 && keys[i - 1] == key) {
      i--;
    }
    return i;
  }

  /** Inodes whose content is this layer entry (usually one; empty if none survived). */
  int[] inodesFor(int layer, long entry) {
    long k = key(layer, entry);
    int i = first(keys, k);
    if (i < 0) {
      return new int[0];
    }
    int j = i;
    while (j < keys.length && keys[j] == k) {
      j++;
    }
    return Arrays.copyOfRange(inodes, i, j);
  }

  /** How many surviving entries (distinct or not) a layer must deliver. */
  int referencesIn(int layer) {
    long lo = key(layer, 0);
    long hi = key(layer + 1, 0);
    int count = 0;
    for (long k : keys) {
      if (k >= lo && k < hi) {
        count++;
      }
    }
    return count;
  }

  long start(int ino) {
    return starts[ino];
  }

  /** First block after the data region. */
  long dataEnd() {
    return dataEnd;
  }

  long dataBytes() {
    return dataBytes;
  }

  int fileCount() {
    return files;
  }
}
