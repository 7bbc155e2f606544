package dev.blocklift.agent;

import java.io.IOException;

/**
 * A random-access device of fixed size. Reads past the end are a caller error; a read that cannot
 * be served raises {@link IOException} in bounded time (it becomes EIO at the FUSE layer).
 */
public interface BlockDevice extends AutoCloseable {
  long size();

  /** Reads exactly {@code length} bytes at {@code offset} into {@code dst[dstOffset..]}. */
  void read(long offset, byte[] dst, int dstOffset, int length) throws IOException;

  /** Whether {@link #write} is allowed. */
  default boolean writable() {
    return false;
  }

  /** Writes exactly {@code length} bytes at {@code offset}. */
  default void write(long offset, byte[] src, int srcOffset, int length) throws IOException {
    throw new IOException("device is read-only");
  }

  /** Makes written data durable (flushes the overlay and its bitmap). */
  default void flush() throws IOException {}

  @Override
  default void close() throws IOException {}

  /** Throws unless {@code [offset, offset+length)} lies within a device of {@code size}. */
  static void checkRange(long size, long offset, int length, byte[] buffer, int bufferOffset) {
    if (offset < 0 || length < 0 || offset > size - length) {
      throw new IndexOutOfBoundsException(
          "range [" + offset + ", +" + length + ") outside device of " + size + " bytes");
    }
    java.util.Objects.checkFromIndexSize(bufferOffset, length, buffer.length);
  }
}
