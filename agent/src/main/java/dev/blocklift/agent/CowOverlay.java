package dev.blocklift.agent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The local store of a copy-on-write overlay: a sparse file the size of the device holding the
 * pages written so far, and a bitmap (one bit per 4 KiB page) saying which pages those are. The
 * bitmap is persisted beside the data file ({@value #BITMAP_FILE}) on every flush and on close, so
 * a kept overlay can be reopened.
 *
 * <p>A page's bit is set only after its bytes are in the data file, so a reader that sees the bit
 * finds the data. Writers are serialised by {@link CowDevice}.
 */
public final class CowOverlay implements AutoCloseable {
  public static final int PAGE = 4096;
  public static final String DATA_FILE = "overlay.data";
  public static final String BITMAP_FILE = "overlay.bitmap";
  private static final long MAGIC = 0x314d42574f434c42L; // "BLCOWBM1" little-endian

  private final Path dir;
  private final long deviceSize;
  private final FileChannel data;
  private final AtomicLongArray bits;
  private volatile boolean dirty;

  private CowOverlay(Path dir, long deviceSize, FileChannel data, AtomicLongArray bits) {
    this.dir = dir;
    this.deviceSize = deviceSize;
    this.data = data;
    this.bits = bits;
  }

  /** Opens the overlay in {@code dir}, creating it empty, or reloading a kept one. */
  public static CowOverlay open(Path dir, long deviceSize) throws IOException {
    Files.createDirectories(dir);
    long pages = (deviceSize + PAGE - 1) / PAGE;
    int words = Math.toIntExact((pages + 63) / 64);
    AtomicLongArray bits = new AtomicLongArray(words);
    Path bitmap = dir.resolve(BITMAP_FILE);
    if (Files.exists(bitmap)) {
      ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(bitmap)).order(ByteOrder.LITTLE_ENDIAN);
      if (buf.remaining() != 16 + 8L * words
          || buf.getLong() != MAGIC
          || buf.getLong() != deviceSize) {
        throw new IOException(
            "overlay bitmap "
                + bitmap
                + " does not belong to a device of "
                + deviceSize
                + " bytes; remove the overlay directory to start afresh");
      }
      for (int i = 0; i < words; i++) {
        bits.set(i, buf.getLong());
      }
    }
    FileChannel data =
        FileChannel.open(
            dir.resolve(DATA_FILE),
            StandardOpenOption.CREATE,
            StandardOpenOption.READ,
            StandardOpenOption.WRITE);
    return new CowOverlay(dir, deviceSize, data, bits);
  }

  public Path dir() {
    return dir;
  }

  public long deviceSize() {
    return deviceSize;
  }

  public boolean has(long page) {
    return (bits.get((int) (page >>> 6)) & (1L << (page & 63))) != 0;
  }

  /** Number of pages held by the overlay. */
  public long pages() {
    long n = 0;
    for (int i = 0; i < bits.length(); i++) {
      n += Long.bitCount(bits.get(i));
    }
    return n;
  }

  /** Reads {@code length} bytes at device {@code offset} from the data file (pages present). */
  void readData(long offset, byte[] dst, int dstOffset, int length) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(dst, dstOffset, length);
    long pos = offset;
    while (buf.hasRemaining()) {
      int n = data.read(buf, pos);
      if (n < 0) {
        // A page past the file's end was never written by size: zero (cannot happen once set).
        while (buf.hasRemaining()) {
          buf.put((byte) 0);
        }
        break;
      }
      pos += n;
    }
  }

  /** Writes one whole page (the last page of the device may be short) and marks it present. */
  void writePage(long page, byte[] src, int length) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(src, 0, length);
    long pos = page * PAGE;
    while (buf.hasRemaining()) {
      pos += data.write(buf, pos);
    }
    int word = (int) (page >>> 6);
    long mask = 1L << (page & 63);
    long prev;
    do {
      prev = bits.get(word);
    } while (!bits.compareAndSet(word, prev, prev | mask));
    dirty = true;
  }

  /** Forces the data file and persists the bitmap (atomically replaced). */
  public void flush() throws IOException {
    data.force(false);
    if (!dirty && Files.exists(dir.resolve(BITMAP_FILE))) {
      return;
    }
    dirty = false;
    ByteBuffer buf = ByteBuffer.allocate(16 + 8 * bits.length()).order(ByteOrder.LITTLE_ENDIAN);
    buf.putLong(MAGIC).putLong(deviceSize);
    for (int i = 0; i < bits.length(); i++) {
      buf.putLong(bits.get(i));
    }
    Path tmp = dir.resolve(BITMAP_FILE + ".tmp");
    try (FileChannel ch =
        FileChannel.open(
            tmp,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      buf.flip();
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    }
    Files.move(
        tmp,
        dir.resolve(BITMAP_FILE),
        StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
  }

  @Override
  public void close() throws IOException {
    try {
      flush();
    } finally {
      data.close();
    }
  }

  /** Closes and deletes the overlay's files (discarding every write). */
  public void discard() throws IOException {
    data.close();
    Files.deleteIfExists(dir.resolve(DATA_FILE));
    Files.deleteIfExists(dir.resolve(BITMAP_FILE));
    Files.deleteIfExists(dir.resolve(BITMAP_FILE + ".tmp"));
    try (var s = Files.list(dir)) {
      if (s.findAny().isEmpty()) {
        Files.deleteIfExists(dir);
      }
    }
  }
}
