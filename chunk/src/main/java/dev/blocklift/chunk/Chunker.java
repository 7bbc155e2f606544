package dev.blocklift.chunk;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Cuts a (sparse) device image file into fixed-size chunks, in index order, and tells holes (all
 * zero chunks, never stored) from data. Memory is bounded: one chunk is read at a time, and a hole
 * costs one reused buffer, not an allocation. The JDK has no {@code SEEK_DATA}/{@code SEEK_HOLE},
 * so holes are found by comparing with a zero buffer ({@link Arrays#mismatch}, vectorized).
 *
 * <p>Not thread-safe: one reader thread iterates, and hands the owned plaintext arrays to workers.
 * Random access ({@link #read(int)}) uses positional reads and may be called from any thread.
 */
public final class Chunker implements Iterable<Chunk>, AutoCloseable {
  private static final byte[] ZEROS = new byte[ChunkSize.MAX];

  private final FileChannel channel;
  private final ChunkSize chunkSize;
  private final long deviceSize;
  private final int chunkCount;

  private Chunker(FileChannel channel, ChunkSize chunkSize, long deviceSize) {
    this.channel = channel;
    this.chunkSize = chunkSize;
    this.deviceSize = deviceSize;
    this.chunkCount = chunkSize.chunkCount(deviceSize);
  }

  /** Opens {@code image}; its current length is the device size. */
  public static Chunker open(Path image, ChunkSize chunkSize) throws IOException {
    FileChannel ch = FileChannel.open(image, StandardOpenOption.READ);
    try {
      return new Chunker(ch, chunkSize, ch.size());
    } catch (RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  public ChunkSize chunkSize() {
    return chunkSize;
  }

  public long deviceSize() {
    return deviceSize;
  }

  public int chunkCount() {
    return chunkCount;
  }

  /** True if {@code data[offset, offset+length)} is all zeros. */
  public static boolean isZero(byte[] data, int offset, int length) {
    int done = 0;
    while (done < length) {
      int n = Math.min(ZEROS.length, length - done);
      if (Arrays.mismatch(data, offset + done, offset + done + n, ZEROS, 0, n) >= 0) {
        return false;
      }
      done += n;
    }
    return true;
  }

  /** Reads chunk {@code index} (thread-safe, positional). */
  public Chunk read(int index) throws IOException {
    int length = chunkSize.lengthOf(index, deviceSize);
    byte[] buf = new byte[length];
    readFully(chunkSize.offsetOf(index), buf);
    long offset = chunkSize.offsetOf(index);
    return isZero(buf, 0, length)
        ? Chunk.hole(index, offset, length)
        : new Chunk(index, offset, length, buf);
  }

  private void readFully(long position, byte[] buf) throws IOException {
    ByteBuffer bb = ByteBuffer.wrap(buf);
    while (bb.hasRemaining()) {
      int n = channel.read(bb, position + bb.position());
      if (n < 0) {
        throw new EOFException(
            "device image shrank while chunking: no bytes at offset " + (position + bb.position()));
      }
    }
  }

  /**
   * Iterates every chunk in index order. A hole's buffer is reused for the next read, so a long run
   * of holes allocates nothing. {@link IOException}s surface as {@link UncheckedIOException}.
   */
  @Override
  public Iterator<Chunk> iterator() {
    return new Iterator<>() {
      private int next;
      private byte[] spare;

      @Override
      public boolean hasNext() {
        return next < chunkCount;
      }

      @Override
      public Chunk next() {
        if (next >= chunkCount) {
          throw new NoSuchElementException();
        }
        int index = next++;
        int length = chunkSize.lengthOf(index, deviceSize);
        byte[] buf = spare != null && spare.length == length ? spare : new byte[length];
        spare = null;
        long offset = chunkSize.offsetOf(index);
        try {
          readFully(offset, buf);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        if (isZero(buf, 0, length)) {
          spare = buf;
          return Chunk.hole(index, offset, length);
        }
        return new Chunk(index, offset, length, buf);
      }
    };
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
