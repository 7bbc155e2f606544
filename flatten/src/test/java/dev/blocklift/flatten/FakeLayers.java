package dev.blocklift.flatten;

import dev.blocklift.image.tree.ContentRef;
import dev.blocklift.image.tree.LayerContent;
import dev.blocklift.image.tree.LayerFiles;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * In-memory layers for tests: each entry is either explicit bytes or a seeded pseudo-random (or
 * sparse) stream generated on the fly, so large files cost no memory.
 */
final class FakeLayers implements LayerContent {
  /** One file entry with data. */
  static final class Item {
    final long entryIndex;
    final long size;
    final long seed;
    final byte[] bytes;
    final boolean sparse;

    Item(long entryIndex, long size, long seed, byte[] bytes, boolean sparse) {
      this.entryIndex = entryIndex;
      this.size = size;
      this.seed = seed;
      this.bytes = bytes;
      this.sparse = sparse;
    }

    InputStream open() {
      if (bytes != null) {
        return new ByteArrayInputStream(bytes);
      }
      return new Generated(size, seed, sparse);
    }
  }

  private final List<List<Item>> layers = new ArrayList<>();
  private final java.util.Map<ContentRef, Item> byRef = new java.util.HashMap<>();
  private final List<Long> nextEntry = new ArrayList<>();

  int addLayer() {
    layers.add(new ArrayList<>());
    nextEntry.add(0L);
    return layers.size() - 1;
  }

  /** Also counts a tar header without data (a directory, say), to make indexes non-contiguous. */
  void skipHeader(int layer) {
    nextEntry.set(layer, nextEntry.get(layer) + 1);
  }

  ContentRef add(int layer, byte[] bytes) {
    return put(layer, bytes.length, 0, bytes, false);
  }

  ContentRef addRandom(int layer, long size, long seed) {
    return put(layer, size, seed, null, false);
  }

  /** Mostly zero blocks with a non-zero byte every 1 MiB: tests sparse skipping. */
  ContentRef addSparse(int layer, long size, long seed) {
    return put(layer, size, seed, null, true);
  }

  private ContentRef put(int layer, long size, long seed, byte[] bytes, boolean sparse) {
    long e = nextEntry.get(layer);
    nextEntry.set(layer, e + 1);
    Item item = new Item(e, size, seed, bytes, sparse);
    layers.get(layer).add(item);
    ContentRef ref = new ContentRef(layer, e);
    byRef.put(ref, item);
    return ref;
  }

  InputStream open(ContentRef ref) {
    Item i = byRef.get(ref);
    if (i == null) {
      throw new IllegalArgumentException("no entry " + ref);
    }
    return i.open();
  }

  List<LayerFiles> layerFiles() {
    List<LayerFiles> out = new ArrayList<>();
    for (int l = 0; l < layers.size(); l++) {
      List<LayerFiles.Entry> entries = new ArrayList<>();
      for (Item i : layers.get(l)) {
        entries.add(new LayerFiles.Entry(i.entryIndex, i.size));
      }
      out.add(new LayerFiles(l, entries));
    }
    return out;
  }

  @Override
  public void forEachFile(int layerIndex, FileVisitor visitor) throws IOException {
    for (Item i : layers.get(layerIndex)) {
      try (InputStream in = i.open()) {
        visitor.visit(i.entryIndex, i.size, in);
      }
    }
  }

  /** A deterministic stream of {@code size} bytes; byte p depends only on (seed, p). */
  static final class Generated extends InputStream {
    private final long size;
    private final boolean sparse;
    private final long seed;
    private long pos;

    Generated(long size, long seed, boolean sparse) {
      this.size = size;
      this.sparse = sparse;
      this.seed = seed;
    }

    static long mix(long z) {
      z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
      z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
      return z ^ (z >>> 31);
    }

    private byte at(long p) {
      if (sparse) {
        return (p % (1 << 20)) == 7 ? (byte) ((p >>> 20) + 1 + seed) : 0;
      }
      return (byte) (mix(seed * 0x9E3779B97F4A7C15L + (p >>> 3)) >>> (8 * (p & 7)));
    }

    @Override
    public int read() {
      if (pos >= size) {
        return -1;
      }
      return at(pos++) & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (len == 0) {
        return 0;
      }
      if (pos >= size) {
        return -1;
      }
      int n = (int) Math.min(len, size - pos);
      if (sparse) {
        java.util.Arrays.fill(b, off, off + n, (byte) 0);
        long first = (pos - 7 + (1 << 20) - 1) / (1 << 20) * (1 << 20) + 7;
        for (long p = Math.max(first, 7); p < pos + n; p += 1 << 20) {
          b[off + (int) (p - pos)] = at(p);
        }
      } else {
        int i = 0;
        while (i < n) {
          long p = pos + i;
          long word = mix(seed * 0x9E3779B97F4A7C15L + (p >>> 3));
          for (int k = (int) (p & 7); k < 8 && i < n; k++, i++) {
            b[off + i] = (byte) (word >>> (8 * k));
          }
        }
      }
      pos += n;
      return n;
    }
  }
}
