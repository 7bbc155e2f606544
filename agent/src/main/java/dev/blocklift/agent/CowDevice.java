package dev.blocklift.agent;

import java.io.IOException;

/**
 * A writable view of a read-only device: writes go to a {@link CowOverlay} at page granularity (a
 * partial page is first copied up from the base), reads take each page from the overlay if its bit
 * is set and from the base otherwise. The base (and so every cached chunk) is never written.
 */
public final class CowDevice implements BlockDevice {
  private static final int PAGE = CowOverlay.PAGE;

  private final BlockDevice base;
  private final CowOverlay overlay;
  private final boolean discardOnClose;
  private final Object writeLock = new Object();

  /**
   * Wraps {@code base} with {@code overlay}.
   *
   * @param discardOnClose delete the overlay on close (false = keep it for a later mount)
   */
  public CowDevice(BlockDevice base, CowOverlay overlay, boolean discardOnClose) {
    if (overlay.deviceSize() != base.size()) {
      throw new IllegalArgumentException(
          "overlay is for "
              + overlay.deviceSize()
              + " bytes but the device has "
              + base.size()
              + " bytes");
    }
    this.base = base;
    this.overlay = overlay;
    this.discardOnClose = discardOnClose;
  }

  public CowOverlay overlay() {
    return overlay;
  }

  @Override
  public long size() {
    return base.size();
  }

  @Override
  public boolean writable() {
    return true;
  }

  @Override
  public void read(long offset, byte[] dst, int dstOffset, int length) throws IOException {
    BlockDevice.checkRange(size(), offset, length, dst, dstOffset);
    long pos = offset;
    int out = dstOffset;
    long end = offset + length;
    while (pos < end) {
      long page = pos / PAGE;
      boolean fromOverlay = overlay.has(page);
      // Extend the run while consecutive pages come from the same side.
      long runEnd = Math.min(end, (page + 1) * PAGE);
      while (runEnd < end && overlay.has(runEnd / PAGE) == fromOverlay) {
        runEnd = Math.min(end, runEnd + PAGE);
      }
      int n = (int) (runEnd - pos);
      if (fromOverlay) {
        overlay.readData(pos, dst, out, n);
      } else {
        base.read(pos, dst, out, n);
      }
      pos += n;
      out += n;
    }
  }

  @Override
  public void write(long offset, byte[] src, int srcOffset, int length) throws IOException {
    BlockDevice.checkRange(size(), offset, length, src, srcOffset);
    byte[] page = new byte[PAGE];
    long pos = offset;
    int in = srcOffset;
    long end = offset + length;
    synchronized (writeLock) {
      while (pos < end) {
        long p = pos / PAGE;
        long pageStart = p * PAGE;
        int pageLen = (int) Math.min(PAGE, size() - pageStart);
        int within = (int) (pos - pageStart);
        int n = (int) Math.min(end - pos, pageLen - within);
        if (n < pageLen) {
          // Copy up: the rest of the page keeps what the device held before.
          read(pageStart, page, 0, pageLen);
        }
        System.arraycopy(src, in, page, within, n);
        overlay.writePage(p, page, pageLen);
        pos += n;
        in += n;
      }
    }
  }

  @Override
  public void flush() throws IOException {
    synchronized (writeLock) {
      overlay.flush();
    }
  }

  @Override
  public void close() throws IOException {
    try {
      if (discardOnClose) {
        overlay.discard();
      } else {
        overlay.close();
      }
    } finally {
      base.close();
    }
  }
}
