package dev.blocklift.nbd;

import dev.blocklift.agent.BlockDevice;
import java.io.IOException;

/** A device in memory for the protocol tests; reads of {@code [failFrom, failTo)} fail (EIO). */
final class MemoryDevice implements BlockDevice {
  final byte[] bytes;
  final boolean writable;
  volatile long failFrom = -1;
  volatile long failTo = -1;
  final java.util.concurrent.atomic.AtomicInteger flushes =
      new java.util.concurrent.atomic.AtomicInteger();

  MemoryDevice(byte[] bytes, boolean writable) {
    this.bytes = bytes;
    this.writable = writable;
  }

  @Override
  public long size() {
    return bytes.length;
  }

  @Override
  public boolean writable() {
    return writable;
  }

  @Override
  public void read(long offset, byte[] dst, int dstOffset, int length) throws IOException {
    BlockDevice.checkRange(size(), offset, length, dst, dstOffset);
    if (offset < failTo && offset + length > failFrom) {
      throw new IOException("chunk not had within the fetch timeout (test)");
    }
    synchronized (bytes) {
      System.arraycopy(bytes, (int) offset, dst, dstOffset, length);
    }
  }

  @Override
  public void write(long offset, byte[] src, int srcOffset, int length) throws IOException {
    if (!writable) {
      throw new IOException("read-only");
    }
    BlockDevice.checkRange(size(), offset, length, src, srcOffset);
    synchronized (bytes) {
      System.arraycopy(src, srcOffset, bytes, (int) offset, length);
    }
  }

  @Override
  public void flush() {
    flushes.incrementAndGet();
  }
}
