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
 *   <li>each layer starts after the previous layer's end, on a fresh 512 KiB chunk if the layers
 *       since the last fresh start fill at least a chunk ({@link ChunkPacking}: large layers keep
 *       their chunks for derived images, small layers pack together);
 *   <li>within a layer, every file entry with data gets space in tar order, whether or not it
 *       survives: a file an upper layer deleted or replaced keeps its space (free blocks that keep
 *       the stale bytes, or zeros with {@link FlattenOptions#scrubDeleted()}), so nothing after it
 *       moves;
 *   <li>a file of at least 512 KiB starts on a chunk boundary;
 *   <li>if two distinct inodes name the same layer entry (ext4 cannot share blocks between inodes),
 *       the first keeps the layer position and the others get copies after the last layer.
 * </ul>
 *
 * The same placement runs while the layers stream ({@link DataWriter} uses {@link #layerStarts} and
 * {@link #place}), so data can be written before the tree is known.
 *
 * <p>Memory: one long per inode for its start block and two longs per dead entry (the sort keys of
 * the surviving files are held only while planning).
 */
final class DataLayout {
  private final long[] starts; // by inode: first data block, 0 if none
  private final long layersEnd;
  private final long dataEnd;
  private final long dataBytes;
  private final int files;
  private final long[] dead; // {start block, blocks} pairs of entries no inode uses
  private final long[] copies; // {inode, source start block} pairs, destination = start(inode)

  private DataLayout(
      long[] starts,
      long layersEnd,
      long dataEnd,
      long dataBytes,
      int files,
      long[] dead,
      long[] copies) {
    this.starts = starts;
    this.layersEnd = layersEnd;
    this.dataEnd = dataEnd;
    this.dataBytes = dataBytes;
    this.files = files;
    this.dead = dead;
    this.copies = copies;
  }

  /** Layer starts of the data region ({@link ChunkPacking}), from {@link Geometry#DATA_START}. */
  static ChunkPacking layerStarts() {
    return new ChunkPacking(Geometry.CHUNK_BLOCKS, 0, Geometry.DATA_START);
  }

  /** Where an entry of {@code size} bytes (> 0) starts, given the layer's cursor. */
  static long place(long cursor, long size) {
    return size >= Geometry.CHUNK_BLOCKS * Geometry.BLOCK_SIZE ? alignChunk(cursor) : cursor;
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
    LongList dead = new LongList();
    ChunkPacking layerStarts = layerStarts();
    for (LayerFiles layer : layers) {
      cursor = layerStarts.next(cursor);
      for (LayerFiles.Entry e : layer.files()) {
        long blocks = blocksOf(e.size());
        if (blocks == 0) {
          continue;
        }
        cursor = place(cursor, e.size());
        int i = first(keys, key(layer.layerIndex(), e.entryIndex()));
        if (i < 0) {
          dead.add(cursor);
          dead.add(blocks);
        }
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
    long layersEnd = cursor;
    LongList copies = new LongList();
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
      cursor = place(cursor, f.size());
      starts[inodes[i]] = cursor;
      copies.add(inodes[i]);
      copies.add(starts[inodes[first(keys, keys[i])]]);
      cursor += blocksOf(f.size());
      bytes += f.size();
    }
    return new DataLayout(starts, layersEnd, cursor, bytes, n, dead.toArray(), copies.toArray());
  }

  /** A growable array of longs. */
  private static final class LongList {
    private long[] a = new long[16];
    private int n;

    void add(long v) {
      if (n == a.length) {
        a = Arrays.copyOf(a, n * 2);
      }
      a[n++] = v;
    }

    long[] toArray() {
      return Arrays.copyOf(a, n);
    }
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

  long start(int ino) {
    return starts[ino];
  }

  /** The first block after the layers' data (chunk-aligned), where copies start. */
  long layersEnd() {
    return layersEnd;
  }

  /** {start block, blocks} pairs of layer entries that no inode uses. */
  long[] deadRanges() {
    return dead.clone();
  }

  /** {inode, source start block} pairs: inodes whose data is a copy of another inode's. */
  long[] copies() {
    return copies.clone();
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
