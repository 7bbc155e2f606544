package dev.blocklift.agent;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Set;
import java.util.UUID;

/**
 * The local store of a copy-on-write overlay: a sparse file the size of the device holding the
 * pages written so far ({@value #DATA_FILE}), and a bitmap file ({@value #BITMAP_FILE}, one bit per
 * 4 KiB page) saying which pages those are.
 *
 * <p>The bitmap file is mapped shared: a page's bit is set (an atomic OR on the mapping) right
 * after its bytes are written to the data file, so once a write returns both are in the page cache,
 * and a crash of the process serving the overlay (kill -9) loses neither; a reader that sees the
 * bit finds the data. {@link #flush} forces both files to the disk (power-loss durability). Writers
 * are serialised by {@link CowDevice}.
 *
 * <p>The bitmap's header binds the overlay to one {@link Identity} (a mount id, the image's
 * manifest digest) and one device size: reopening it for anything else is refused. Layout,
 * little-endian: magic {@code BLCOWBM2} (8 bytes), mount id (16), manifest digest (32), device size
 * (8), then the bitmap's 64-bit words. The directory is created 0700, the files 0600.
 */
public final class CowOverlay implements AutoCloseable {
  public static final int PAGE = 4096;
  public static final String DATA_FILE = "overlay.data";
  public static final String BITMAP_FILE = "overlay.bitmap";
  static final int HEADER = 64;
  private static final long MAGIC = 0x324d42574f434c42L; // "BLCOWBM2" little-endian
  private static final VarHandle WORD =
      ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
  private static final FileAttribute<Set<PosixFilePermission>> DIR_MODE =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
  private static final FileAttribute<Set<PosixFilePermission>> FILE_MODE =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

  /**
   * Whom an overlay belongs to: one mount (a random id) of one image (its manifest's SHA-256).
   *
   * @param manifestDigest 32 bytes
   */
  @SuppressWarnings("ArrayRecordComponent") // cloned in and out; equals/hashCode compare contents
  public record Identity(UUID mountId, byte[] manifestDigest) {
    public Identity {
      if (mountId == null || manifestDigest == null || manifestDigest.length != 32) {
        throw new IllegalArgumentException(
            "an overlay identity is a mount id and a 32-byte manifest digest, got "
                + mountId
                + " and "
                + (manifestDigest == null ? "null" : manifestDigest.length + " bytes"));
      }
      manifestDigest = manifestDigest.clone();
    }

    /** A new mount of the image whose manifest has {@code manifestDigest}. */
    public static Identity newMount(byte[] manifestDigest) {
      return new Identity(UUID.randomUUID(), manifestDigest);
    }

    @Override
    public byte[] manifestDigest() {
      return manifestDigest.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Identity i
          && mountId.equals(i.mountId)
          && Arrays.equals(manifestDigest, i.manifestDigest);
    }

    @Override
    public int hashCode() {
      return mountId.hashCode() * 31 + Arrays.hashCode(manifestDigest);
    }

    @Override
    public String toString() {
      return "mount " + mountId + " of manifest sha256:" + HexFormat.of().formatHex(manifestDigest);
    }
  }

  private final Path dir;
  private final long deviceSize;
  private final Identity identity;
  private final FileChannel data;
  private final Arena arena;
  private final MemorySegment bitmap;
  private final int words;

  private CowOverlay(
      Path dir,
      long deviceSize,
      Identity identity,
      FileChannel data,
      Arena arena,
      MemorySegment bitmap,
      int words) {
    this.dir = dir;
    this.deviceSize = deviceSize;
    this.identity = identity;
    this.data = data;
    this.arena = arena;
    this.bitmap = bitmap;
    this.words = words;
  }

  /**
   * Opens the overlay in {@code dir} for {@code identity}: creates it empty, or reopens one this
   * identity created (after a close, or a crash of its process).
   *
   * @throws IOException if the overlay there belongs to another identity or device size
   */
  public static CowOverlay open(Path dir, long deviceSize, Identity identity) throws IOException {
    return open(dir, deviceSize, identity, false);
  }

  /**
   * Opens the overlay in {@code dir} of the image whose manifest has {@code manifestDigest},
   * keeping the mount id of one already there (a kept overlay, reused by a later mount of the same
   * image), or creating one for a new mount.
   *
   * @throws IOException if the overlay there is of another image or device size
   */
  public static CowOverlay adopt(Path dir, long deviceSize, byte[] manifestDigest)
      throws IOException {
    return open(dir, deviceSize, Identity.newMount(manifestDigest), true);
  }

  /** {@link #adopt} for an anonymous image (an all-zero digest): for tests. */
  static CowOverlay open(Path dir, long deviceSize) throws IOException {
    return adopt(dir, deviceSize, new byte[32]);
  }

  private static CowOverlay open(Path dir, long deviceSize, Identity identity, boolean adopt)
      throws IOException {
    if (deviceSize <= 0) {
      throw new IllegalArgumentException("device size must be positive, got " + deviceSize);
    }
    if (dir.getParent() != null) {
      Files.createDirectories(dir.getParent());
    }
    try {
      Files.createDirectory(dir, DIR_MODE);
    } catch (FileAlreadyExistsException e) {
      // Reopening.
    }
    long pages = (deviceSize + PAGE - 1) / PAGE;
    int words = Math.toIntExact((pages + 63) / 64);
    long size = HEADER + 8L * words;
    Path file = dir.resolve(BITMAP_FILE);
    FileChannel ch;
    Identity owner = identity;
    try {
      ch =
          FileChannel.open(
              file,
              Set.of(
                  StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE),
              FILE_MODE);
      ByteBuffer header = header(identity, deviceSize);
      while (header.hasRemaining()) {
        ch.write(header, header.position());
      }
      // The words: zeros, sparse.
      ch.write(ByteBuffer.allocate(1), size - 1);
      // The header must reach the disk before a later open can trust it.
      ch.force(true);
    } catch (FileAlreadyExistsException e) {
      ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
      try {
        owner = check(ch, file, size, identity, deviceSize, adopt);
      } catch (IOException | RuntimeException ex) {
        ch.close();
        throw ex;
      }
    }
    Arena arena = Arena.ofShared();
    try (FileChannel bitmapChannel = ch) {
      MemorySegment seg = bitmapChannel.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
      FileChannel data =
          FileChannel.open(
              dir.resolve(DATA_FILE),
              Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE),
              FILE_MODE);
      return new CowOverlay(dir, deviceSize, owner, data, arena, seg, words);
    } catch (IOException | RuntimeException e) {
      arena.close();
      throw e;
    }
  }

  private static ByteBuffer header(Identity identity, long deviceSize) {
    ByteBuffer b = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(MAGIC);
    b.order(ByteOrder.BIG_ENDIAN)
        .putLong(identity.mountId().getMostSignificantBits())
        .putLong(identity.mountId().getLeastSignificantBits());
    b.put(identity.manifestDigest());
    b.order(ByteOrder.LITTLE_ENDIAN).putLong(deviceSize);
    return b.flip();
  }

  /** Checks an existing bitmap's header; returns the identity it holds. */
  private static Identity check(
      FileChannel ch, Path file, long size, Identity want, long deviceSize, boolean adopt)
      throws IOException {
    ByteBuffer b = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
    while (b.hasRemaining() && ch.read(b, b.position()) >= 0) {
      // read the whole header
    }
    b.flip();
    if (b.remaining() != HEADER || b.getLong() != MAGIC) {
      throw new IOException(
          "overlay bitmap "
              + file
              + " is not a blocklift overlay bitmap (or is of an older format); remove the overlay"
              + " directory to start afresh");
    }
    b.order(ByteOrder.BIG_ENDIAN);
    UUID mountId = new UUID(b.getLong(), b.getLong());
    byte[] digest = new byte[32];
    b.get(digest);
    long storedSize = b.order(ByteOrder.LITTLE_ENDIAN).getLong();
    Identity have = new Identity(mountId, digest);
    boolean sameImage = Arrays.equals(digest, want.manifestDigest);
    if (!sameImage || (!adopt && !have.equals(want))) {
      throw new IOException(
          "overlay "
              + file.getParent()
              + " belongs to "
              + have
              + ", not to "
              + want
              + "; refusing to reopen it (remove the overlay directory to start afresh)");
    }
    if (storedSize != deviceSize || ch.size() != size) {
      throw new IOException(
          "overlay bitmap "
              + file
              + " does not belong to a device of "
              + deviceSize
              + " bytes (it is for "
              + storedSize
              + " bytes, "
              + ch.size()
              + " bytes long); remove the overlay directory to start afresh");
    }
    return have;
  }

  public Path dir() {
    return dir;
  }

  public long deviceSize() {
    return deviceSize;
  }

  /** The mount and image this overlay belongs to. */
  public Identity identity() {
    return identity;
  }

  private long word(int i) {
    return (long) WORD.getAcquire(bitmap, HEADER + 8L * i);
  }

  public boolean has(long page) {
    return (word((int) (page >>> 6)) & (1L << (page & 63))) != 0;
  }

  /** Number of pages held by the overlay. */
  public long pages() {
    long n = 0;
    for (int i = 0; i < words; i++) {
      n += Long.bitCount(word(i));
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

  /**
   * Writes one whole page (the last page of the device may be short), then marks it present: the
   * data is in the page cache before its bit is in the mapping.
   */
  void writePage(long page, byte[] src, int length) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(src, 0, length);
    long pos = page * PAGE;
    while (buf.hasRemaining()) {
      pos += data.write(buf, pos);
    }
    WORD.getAndBitwiseOrRelease(bitmap, HEADER + 8L * (page >>> 6), 1L << (page & 63));
  }

  /** Forces the data file, then the bitmap's mapping, to the disk. */
  public void flush() throws IOException {
    data.force(false);
    bitmap.force();
  }

  @Override
  public void close() throws IOException {
    try {
      flush();
    } finally {
      try {
        data.close();
      } finally {
        arena.close();
      }
    }
  }

  /** Closes and deletes the overlay's files (discarding every write). */
  public void discard() throws IOException {
    try {
      data.close();
    } finally {
      arena.close();
    }
    Files.deleteIfExists(dir.resolve(DATA_FILE));
    Files.deleteIfExists(dir.resolve(BITMAP_FILE));
    try (var s = Files.list(dir)) {
      if (s.findAny().isEmpty()) {
        Files.deleteIfExists(dir);
      }
    }
  }
}
