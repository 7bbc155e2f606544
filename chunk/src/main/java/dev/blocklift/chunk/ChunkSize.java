package dev.blocklift.chunk;

import dev.blocklift.core.ByteSize;

/**
 * The fixed size of every chunk of a device image but the last: a power of two from 64 KiB to 4
 * MiB, 512 KiB by default (DESIGN.md, "The data path").
 */
public record ChunkSize(int bytes) {
  public static final int MIN = 64 * 1024;
  public static final int MAX = 4 * 1024 * 1024;
  public static final ChunkSize DEFAULT = new ChunkSize(512 * 1024);

  public ChunkSize {
    if (bytes < MIN || bytes > MAX || Integer.bitCount(bytes) != 1) {
      throw new IllegalArgumentException(
          "chunk size must be a power of two from 64KiB to 4MiB, got "
              + bytes
              + " bytes ("
              + ByteSize.format(bytes)
              + ")");
    }
  }

  public static ChunkSize of(int bytes) {
    return new ChunkSize(bytes);
  }

  /** Parses {@code 512KiB}, {@code 1MiB}, {@code 65536}; the message echoes the bad value. */
  public static ChunkSize parse(String text) {
    long b = ByteSize.parse(text).bytes();
    if (b < MIN || b > MAX || Long.bitCount(b) != 1) {
      throw new IllegalArgumentException(
          "chunk size must be a power of two from 64KiB to 4MiB, got \"" + text + "\"");
    }
    return new ChunkSize((int) b);
  }

  /** Number of chunks that cover a device of {@code deviceSize} bytes (the last may be short). */
  public int chunkCount(long deviceSize) {
    if (deviceSize < 0) {
      throw new IllegalArgumentException("device size must not be negative: " + deviceSize);
    }
    long n = (deviceSize + bytes - 1) / bytes;
    if (n > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "device of " + deviceSize + " bytes has too many chunks of " + this);
    }
    return (int) n;
  }

  /** Plaintext length of chunk {@code index} of a device of {@code deviceSize} bytes. */
  public int lengthOf(int index, long deviceSize) {
    long start = (long) index * bytes;
    if (index < 0 || start >= deviceSize) {
      throw new IndexOutOfBoundsException(
          "chunk index " + index + " outside a device of " + deviceSize + " bytes");
    }
    return (int) Math.min(bytes, deviceSize - start);
  }

  /** Byte offset of chunk {@code index} in the device. */
  public long offsetOf(int index) {
    return (long) index * bytes;
  }

  @Override
  public String toString() {
    return ByteSize.format(bytes);
  }
}
