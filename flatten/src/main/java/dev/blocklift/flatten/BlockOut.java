package dev.blocklift.flatten;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Positional block writes that coalesce runs of consecutive blocks into one write of up to 1 MiB.
 * All-zero blocks are skipped: the output file starts empty and sparse, so they already read as
 * zero and stay holes.
 */
final class BlockOut implements AutoCloseable {
  private static final int CAPACITY = 256;
  private static final byte[] ZERO = new byte[Geometry.BLOCK_SIZE];

  private final FileChannel channel;
  private final ByteBuffer buffer = ByteBuffer.allocateDirect(CAPACITY * Geometry.BLOCK_SIZE);
  private long firstBlock = -1;
  private int count;

  BlockOut(FileChannel channel) {
    this.channel = channel;
  }

  static boolean isZero(byte[] data, int offset, int length) {
    return java.util.Arrays.mismatch(data, offset, offset + length, ZERO, 0, length) < 0;
  }

  void write(long block, byte[] data) throws IOException {
    if (data.length != Geometry.BLOCK_SIZE) {
      throw new IllegalArgumentException("not a block: " + data.length + " bytes");
    }
    if (isZero(data, 0, data.length)) {
      flush();
      return;
    }
    if (count > 0 && (block != firstBlock + count || count == CAPACITY)) {
      flush();
    }
    if (count == 0) {
      firstBlock = block;
      buffer.clear();
    }
    buffer.put(data);
    count++;
  }

  void flush() throws IOException {
    if (count == 0) {
      return;
    }
    buffer.flip();
    long pos = firstBlock * Geometry.BLOCK_SIZE;
    while (buffer.hasRemaining()) {
      pos += channel.write(buffer, pos);
    }
    count = 0;
  }

  @Override
  public void close() throws IOException {
    flush();
  }
}
