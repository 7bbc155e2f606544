package dev.blocklift.flatten;

import dev.blocklift.core.CorruptDataException;
import dev.blocklift.image.FileDataSink;
import dev.blocklift.image.LimitExceededException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Writes every regular-file entry's bytes at its final position the moment the entry streams by:
 * positions come from {@link DataLayout#layerStarts} and {@link DataLayout#place} over the layers'
 * tar order alone, so they are known before the tree is. Entries that an upper layer later deletes
 * or replaces are written too (their blocks end up free and keep the lower layer's bytes, which
 * keeps the base image's data chunks intact); {@link Flattener} zeroes them afterwards when asked
 * to scrub. All-zero 4 KiB blocks are not written, so they stay holes in the sparse output.
 *
 * <p>Memory: one 1 MiB buffer. One positional write per run of non-zero blocks.
 */
final class DataWriter implements FileDataSink {
  private static final int BUFFER = 1 << 20;

  private final FileChannel channel;
  private final FlattenListener listener;
  private final long maxDeviceBytes;
  private final byte[] buffer = new byte[BUFFER];
  private long cursor = Geometry.DATA_START;
  private final ChunkPacking layerStarts = DataLayout.layerStarts();
  private int layer = -1;
  private long written;

  /**
   * @param maxDeviceBytes file data that would end beyond this fails before it is read ({@link
   *     FlattenOptions#maxDeviceSize()})
   */
  DataWriter(FileChannel channel, FlattenListener listener, long maxDeviceBytes) {
    this.channel = channel;
    this.listener = listener;
    this.maxDeviceBytes = maxDeviceBytes;
  }

  @Override
  public void file(int layerIndex, long entryIndex, long size, InputStream in) throws IOException {
    if (layerIndex < layer) {
      throw new IllegalStateException("layer " + layerIndex + " after layer " + layer);
    }
    if (layerIndex != layer) {
      cursor = layerStarts.next(cursor);
      layer = layerIndex;
      listener.layerStarted(layerIndex);
    }
    if (size <= 0) {
      return;
    }
    cursor = DataLayout.place(cursor, size);
    long end = (cursor + DataLayout.blocksOf(size)) * Geometry.BLOCK_SIZE;
    if (end > maxDeviceBytes) {
      throw new LimitExceededException(
          "file data of " + size + " bytes ending at byte " + end + " of the device",
          "FlattenOptions.maxDeviceSize",
          maxDeviceBytes);
    }
    copy(in, size, cursor * Geometry.BLOCK_SIZE, layerIndex, entryIndex);
    cursor += DataLayout.blocksOf(size);
    // The cursor only grows, and copies and metadata go above the layers' data.
    listener.dataFinal(Geometry.DATA_START * Geometry.BLOCK_SIZE, cursor * Geometry.BLOCK_SIZE);
  }

  /** The first block after the layers' data, chunk-aligned (as {@link DataLayout#layersEnd}). */
  long layersEnd() {
    return DataLayout.alignChunk(cursor);
  }

  /** Bytes of file data read from the layers so far. */
  long written() {
    return written;
  }

  private void copy(InputStream in, long size, long pos, int layerIndex, long entry)
      throws IOException {
    long done = 0;
    while (done < size) {
      int want = (int) Math.min(BUFFER, size - done);
      int got = in.readNBytes(buffer, 0, want);
      if (got < want) {
        throw new CorruptDataException(
            "layer "
                + layerIndex
                + " entry "
                + entry
                + " ended after "
                + (done + got)
                + " of "
                + size
                + " bytes");
      }
      writeNonZero(pos + done, got);
      done += got;
      written += got;
      listener.dataWritten(got);
    }
  }

  /** Copies {@code blocks} blocks inside the output file (for a second inode of one entry). */
  void copyWithin(long fromBlock, long toBlock, long bytes) throws IOException {
    long done = 0;
    while (done < bytes) {
      int want = (int) Math.min(BUFFER, bytes - done);
      ByteBuffer b = ByteBuffer.wrap(buffer, 0, want);
      long p = fromBlock * Geometry.BLOCK_SIZE + done;
      while (b.hasRemaining()) {
        int r = channel.read(b, p);
        if (r < 0) {
          break; // past the end of what was written: the rest is zeros
        }
        p += r;
      }
      java.util.Arrays.fill(buffer, b.position(), want, (byte) 0);
      writeNonZero(toBlock * Geometry.BLOCK_SIZE + done, want);
      done += want;
    }
  }

  /** Overwrites {@code blocks} blocks at {@code startBlock} with zeros. */
  void zero(long startBlock, long blocks) throws IOException {
    ByteBuffer zeros = ByteBuffer.allocate(BUFFER);
    long end = (startBlock + blocks) * Geometry.BLOCK_SIZE;
    long p = startBlock * Geometry.BLOCK_SIZE;
    while (p < end) {
      zeros.clear().limit((int) Math.min(BUFFER, end - p));
      while (zeros.hasRemaining()) {
        p += channel.write(zeros, p);
      }
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
