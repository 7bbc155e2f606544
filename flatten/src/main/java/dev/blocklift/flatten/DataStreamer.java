package dev.blocklift.flatten;

import dev.blocklift.core.CorruptDataException;
import dev.blocklift.image.tree.FileNode;
import dev.blocklift.image.tree.LayerContent;
import dev.blocklift.image.tree.LayerFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.List;

/**
 * The second pass: streams each layer once, in order, and writes every surviving file's bytes at
 * the blocks {@link DataLayout} gave it, with positional writes. Entries that did not survive are
 * not written (their space stays a hole). All-zero 4 KiB blocks are not written either, so they
 * stay holes in the sparse output. Memory: one 1 MiB buffer.
 */
final class DataStreamer {
  private static final int BUFFER = 1 << 20;

  private final FileChannel channel;
  private final InodeCatalog catalog;
  private final DataLayout layout;
  private final FlattenListener listener;
  private final byte[] buffer = new byte[BUFFER];

  DataStreamer(
      FileChannel channel, InodeCatalog catalog, DataLayout layout, FlattenListener listener) {
    this.channel = channel;
    this.catalog = catalog;
    this.layout = layout;
    this.listener = listener;
  }

  void stream(List<LayerFiles> layers, LayerContent content) throws IOException {
    for (LayerFiles layer : layers) {
      int index = layer.layerIndex();
      int expected = layout.referencesIn(index);
      if (expected == 0) {
        continue; // nothing of this layer survived: no need to read it at all
      }
      listener.layerStarted(index);
      int[] delivered = {0};
      content.forEachFile(
          index,
          (entryIndex, size, in) -> {
            int[] inodes = layout.inodesFor(index, entryIndex);
            if (inodes.length == 0) {
              return;
            }
            long treeSize = ((FileNode) catalog.node(inodes[0])).size();
            if (size != treeSize) {
              throw new CorruptDataException(
                  "layer "
                      + index
                      + " entry "
                      + entryIndex
                      + " delivered "
                      + size
                      + " bytes, the tree expects "
                      + treeSize);
            }
            copy(in, size, inodes, index, entryIndex);
            delivered[0] += inodes.length;
          });
      if (delivered[0] != expected) {
        throw new CorruptDataException(
            "layer "
                + index
                + " delivered "
                + delivered[0]
                + " of the "
                + expected
                + " files the tree takes from it");
      }
    }
  }

  private void copy(InputStream in, long size, int[] inodes, int layer, long entry)
      throws IOException {
    long done = 0;
    while (done < size) {
      int want = (int) Math.min(BUFFER, size - done);
      int got = in.readNBytes(buffer, 0, want);
      if (got < want) {
        throw new CorruptDataException(
            "layer "
                + layer
                + " entry "
                + entry
                + " ended after "
                + (done + got)
                + " of "
                + size
                + " bytes");
      }
      for (int ino : inodes) {
        writeNonZero(layout.start(ino) * Geometry.BLOCK_SIZE + done, got);
      }
      done += got;
      listener.dataWritten(got);
    }
  }

  /** Writes buffer[0..length) at {@code pos}, skipping all-zero 4 KiB blocks. */
  private void writeNonZero(long pos, int length) throws IOException {
    int runStart = -1;
    for (int off = 0; off < length; off += Geometry.BLOCK_SIZE) {
      int len = Math.min(Geometry.BLOCK_SIZE, length - off);
      boolean zero = BlockOut.isZero(buffer, off, len);
      if (!zero && runStart < 0) {
        runStart = off;
      } else if (zero && runStart >= 0) {
        put(pos + runStart, runStart, off - runStart);
        runStart = -1;
      }
    }
    if (runStart >= 0) {
      put(pos + runStart, runStart, length - runStart);
    }
  }

  private void put(long pos, int offset, int length) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(buffer, offset, length);
    long p = pos;
    while (b.hasRemaining()) {
      p += channel.write(b, p);
    }
  }
}
