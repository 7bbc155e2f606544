package dev.blocklift.agent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import org.cryptomator.jfuse.api.DirFiller;
import org.cryptomator.jfuse.api.Errno;
import org.cryptomator.jfuse.api.FileInfo;
import org.cryptomator.jfuse.api.FuseConfig;
import org.cryptomator.jfuse.api.FuseConnInfo;
import org.cryptomator.jfuse.api.FuseOperations;
import org.cryptomator.jfuse.api.Stat;
import org.cryptomator.jfuse.api.Statvfs;

/**
 * The FUSE file system the agent serves: one flat directory in which every attached device appears
 * as a regular file of the device's size, readable, and writable when the device is. Truncation to
 * another size is refused; a failed read or write answers EIO (the cause is logged below).
 *
 * <p>Read path: libfuse's multithreaded loop calls {@link #read} on several threads at once; the
 * kernel is asked (in {@link #init}) for asynchronous reads and asynchronous direct I/O (a large
 * O_DIRECT read is split into requests served in parallel), so a sequential reader keeps several
 * requests in flight. (The kernel's readahead cannot be raised from here: it only takes the minimum
 * of its own and ours.) Each FUSE thread reuses one scratch array for the copy into the kernel's
 * buffer instead of allocating per read.
 */
final class DeviceFs implements FuseOperations {
  private static final System.Logger LOG = System.getLogger(DeviceFs.class.getName());
  private static final int EFBIG = 27;

  /** Per FUSE thread: the array a read is copied through (grown to the largest request seen). */
  private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[0]);

  private final Errno errno;
  private final Map<String, BlockDevice> files = new ConcurrentSkipListMap<>();
  private final Instant created = Instant.now();

  DeviceFs(Errno errno) {
    this.errno = errno;
  }

  void attach(String name, BlockDevice device) {
    if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
      throw new IllegalArgumentException("not a valid file name for a device: \"" + name + "\"");
    }
    if (files.putIfAbsent(name, device) != null) {
      throw new IllegalArgumentException("a device named \"" + name + "\" is already attached");
    }
  }

  BlockDevice detach(String name) {
    return files.remove(name);
  }

  Map<String, BlockDevice> files() {
    return files;
  }

  @Override
  public Errno errno() {
    return errno;
  }

  @Override
  public Set<Operation> supportedOperations() {
    return EnumSet.of(
        Operation.INIT,
        Operation.GET_ATTR,
        Operation.READ_DIR,
        Operation.OPEN_DIR,
        Operation.RELEASE_DIR,
        Operation.OPEN,
        Operation.READ,
        Operation.WRITE,
        Operation.FLUSH,
        Operation.FSYNC,
        Operation.RELEASE,
        Operation.TRUNCATE,
        Operation.STATFS);
  }

  @Override
  public void init(FuseConnInfo conn, FuseConfig config) {
    int wanted = FuseConnInfo.FUSE_CAP_ASYNC_READ | FuseConnInfo.FUSE_CAP_ASYNC_DIO;
    conn.setWant(conn.want() | (wanted & conn.capable()));
  }

  private static byte[] scratch(int n) {
    byte[] b = SCRATCH.get();
    if (b.length < n) {
      b = new byte[n];
      SCRATCH.set(b);
    }
    return b;
  }

  private BlockDevice lookup(String path) {
    return path.length() > 1 && path.charAt(0) == '/' ? files.get(path.substring(1)) : null;
  }

  @Override
  public int getattr(String path, Stat stat, FileInfo fi) {
    stat.aTime().set(created);
    stat.mTime().set(created);
    stat.cTime().set(created);
    if (path.equals("/")) {
      stat.setMode(Stat.S_IFDIR | 0755);
      stat.setNLink((short) 2);
      return 0;
    }
    BlockDevice d = lookup(path);
    if (d == null) {
      return -errno.enoent();
    }
    stat.setMode(Stat.S_IFREG | (d.writable() ? 0644 : 0444));
    stat.setNLink((short) 1);
    stat.setSize(d.size());
    return 0;
  }

  @Override
  public int opendir(String path, FileInfo fi) {
    return path.equals("/") ? 0 : -errno.enoent();
  }

  @Override
  public int readdir(String path, DirFiller filler, long offset, FileInfo fi, int flags) {
    if (!path.equals("/")) {
      return -errno.enoent();
    }
    try {
      filler.fill(".");
      filler.fill("..");
      for (String name : files.keySet()) {
        filler.fill(name);
      }
    } catch (IOException e) {
      return -errno.eio();
    }
    return 0;
  }

  @Override
  public int releasedir(String path, FileInfo fi) {
    return 0;
  }

  @Override
  public int open(String path, FileInfo fi) {
    BlockDevice d = lookup(path);
    if (d == null) {
      return -errno.enoent();
    }
    var flags = fi.getOpenFlags();
    boolean wantsWrite =
        flags.contains(java.nio.file.StandardOpenOption.WRITE)
            || flags.contains(java.nio.file.StandardOpenOption.APPEND);
    if (wantsWrite && !d.writable()) {
      return -errno.erofs();
    }
    return 0;
  }

  @Override
  public int read(String path, ByteBuffer buf, long size, long offset, FileInfo fi) {
    BlockDevice d = lookup(path);
    if (d == null) {
      return -errno.enoent();
    }
    if (offset >= d.size()) {
      return 0;
    }
    int n = (int) Math.min(Math.min(size, buf.remaining()), d.size() - offset);
    byte[] tmp = scratch(n);
    try {
      d.read(offset, tmp, 0, n);
    } catch (IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.ERROR, "read " + path + " @" + offset + "+" + n + ": " + e);
      return -errno.eio();
    }
    buf.put(tmp, 0, n);
    return n;
  }

  @Override
  public int write(String path, ByteBuffer buf, long size, long offset, FileInfo fi) {
    BlockDevice d = lookup(path);
    if (d == null) {
      return -errno.enoent();
    }
    if (!d.writable()) {
      return -errno.erofs();
    }
    if (offset >= d.size()) {
      return -EFBIG;
    }
    int n = (int) Math.min(Math.min(size, buf.remaining()), d.size() - offset);
    byte[] tmp = scratch(n);
    buf.get(tmp, 0, n);
    try {
      d.write(offset, tmp, 0, n);
    } catch (IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.ERROR, "write " + path + " @" + offset + "+" + n + ": " + e);
      return -errno.eio();
    }
    return n;
  }

  @Override
  public int truncate(String path, long size, FileInfo fi) {
    BlockDevice d = lookup(path);
    if (d == null) {
      return -errno.enoent();
    }
    // A device has a fixed size; "truncating" to that size (O_TRUNC aside) is a no-op.
    return size == d.size() ? 0 : -errno.einval();
  }

  @Override
  public int flush(String path, FileInfo fi) {
    return sync(path);
  }

  @Override
  public int fsync(String path, int datasync, FileInfo fi) {
    return sync(path);
  }

  private int sync(String path) {
    BlockDevice d = lookup(path);
    if (d == null) {
      return -errno.enoent();
    }
    try {
      d.flush();
      return 0;
    } catch (IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.ERROR, "flush " + path + ": " + e);
      return -errno.eio();
    }
  }

  @Override
  public int release(String path, FileInfo fi) {
    return 0;
  }

  @Override
  public int statfs(String path, Statvfs statvfs) {
    long total = files.values().stream().mapToLong(BlockDevice::size).sum();
    statvfs.setBsize(4096);
    statvfs.setFrsize(4096);
    statvfs.setBlocks((total + 4095) / 4096);
    statvfs.setBfree(0);
    statvfs.setBavail(0);
    statvfs.setNameMax(255);
    return 0;
  }
}
