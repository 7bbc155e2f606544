package dev.blocklift.agent;

import dev.blocklift.core.BlockliftException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A mounted FUSE directory in which attached devices appear as files, served by this class's own
 * implementation of the kernel's FUSE protocol on /dev/fuse (no libfuse), and able to outlive the
 * process that serves it.
 *
 * <h2>Protocol subset</h2>
 *
 * {@link DeviceFs} answers INIT (asks for ASYNC_READ, ASYNC_DIO, BIG_WRITES and MAX_PAGES;
 * max_write {@value #MAX_WRITE}, max_pages {@value #MAX_PAGES}, max_read the same 1 MiB), LOOKUP,
 * GETATTR, SETATTR (only to the current size; mode and owner changes EPERM, times ignored), OPEN
 * (EROFS for writing a read-only device), READ, WRITE, FLUSH, FSYNC, RELEASE, OPENDIR, READDIR,
 * RELEASEDIR, STATFS, ACCESS and DESTROY; FORGET and BATCH_FORGET take no answer; INTERRUPT, the
 * xattr calls and everything else answer ENOSYS. Node ids are handed out once and never reused, the
 * file handle of an open file is its node id, and the name table is persisted, so the kernel's
 * cached inodes and open files (a loop device's, say) stay valid across a change of server.
 *
 * <h2>Threads and bounds</h2>
 *
 * {@link FuseSession}: {@value #READERS} platform threads poll and read(2) the non-blocking fd (a
 * virtual thread would pin its carrier there); each request is run on a virtual thread, which may
 * block on a chunk fetch, and answered with write(2). Request buffers are a fixed set of {@value
 * #SLOTS} slots of {@code max_write} + 4 KiB; when none is free readers wait and the kernel queues.
 * Answers are built in a per-slot heap array grown to the largest answer that slot sent (at most 1
 * MiB + 16 bytes), so memory is bounded by slots × (slot + max_read).
 *
 * <h2>Surviving the server</h2>
 *
 * A FUSE connection lives as long as some fd to it is open. With a state directory:
 *
 * <ol>
 *   <li><b>fd holder.</b> {@link #mount(Path, Path)} spawns {@link FdHolder} ({@code sleep
 *       infinity} via posix_spawn, in a session of its own, with the fd dup'ed as its fd 3), so a
 *       kill -9 of the server leaves the connection up: readers' requests wait in the kernel. Its
 *       pid and start time, what INIT settled and the node table are in {@code fuse.json} ({@link
 *       FuseState}, written atomically, 0600).
 *   <li><b>Journal.</b> The slots are a file mapped shared ({@link FuseJournal}); read(2) writes a
 *       request straight into one, so it is in that file's page cache the moment the kernel hands
 *       it over. A slot's header is cleared before each read and after the answer was written. A
 *       WRITE records that it was applied before it is answered, so a replay answers it without
 *       applying it again (a newer write to the same bytes may have been answered since).
 *   <li><b>Takeover.</b> {@link #adopt} checks the holder is the recorded process, takes the fd
 *       back with pidfd_open + pidfd_getfd, re-attaches the devices under their persisted node ids
 *       (names not given answer EIO), answers every request left in the journal (an answer to a
 *       request that was in fact answered gets ENOENT from the kernel, which is harmless: uniques
 *       are never reused), and serves on. The kernel sends no second INIT: the persisted one is
 *       used (or the journal's, if the dead server never answered it).
 *   <li><b>Hand-over.</b> {@link #handOver} stops reading, waits up to 5 s for the requests in
 *       flight, flushes and closes the devices, persists, and closes its fd; the mount stays.
 * </ol>
 *
 * {@link #close} ends it all: unmounts (lazily), stops the holder, closes the devices and deletes
 * the state. {@link #cleanup} does the same for a mount whose server is gone and cannot be adopted.
 * Without a state directory ({@link #mount(Path)}) there is no holder and the journal is in memory:
 * the mount dies with the process, as a libfuse mount does.
 */
public final class FuseServer implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(FuseServer.class.getName());
  static final String FS_TYPE = "fuse.blocklift";
  static final int MAX_WRITE = 128 * 1024;
  static final int MAX_PAGES = 256;
  static final int SLOTS = 16;
  static final int READERS = 2;
  private static final Duration HANDOVER_WAIT = Duration.ofSeconds(5);
  private static final Duration CLOSE_WAIT = Duration.ofSeconds(2);

  private final Path mountPoint;
  private final String realMountPoint;
  private final Path stateDir;
  private final int fd;
  private final DeviceFs fs;
  private final FuseJournal journal;
  private final FdHolder holder;
  private final String mountDev;
  private final FuseSession session;
  private boolean closed;

  private FuseServer(
      Path mountPoint,
      String realMountPoint,
      Path stateDir,
      int fd,
      DeviceFs fs,
      FuseJournal journal,
      FdHolder holder,
      String mountDev) {
    this.mountPoint = mountPoint;
    this.realMountPoint = realMountPoint;
    this.stateDir = stateDir;
    this.fd = fd;
    this.fs = fs;
    this.journal = journal;
    this.holder = holder;
    this.mountDev = mountDev;
    this.session = new FuseSession(fd, fs, journal, READERS);
  }

  /** Mounts an empty device directory at {@code mountPoint} (created if missing), no takeover. */
  public static FuseServer mount(Path mountPoint) throws IOException {
    return mount(mountPoint, null);
  }

  /**
   * Mounts an empty device directory at {@code mountPoint}; with a {@code stateDir} (created 0700)
   * the mount can be taken over by {@link #adopt} after this process dies or hands over.
   */
  public static FuseServer mount(Path mountPoint, Path stateDir) throws IOException {
    if (!Files.exists(Path.of("/dev/fuse"))) {
      throw new BlockliftException("FUSE is not available: /dev/fuse is missing (load `fuse`)");
    }
    Files.createDirectories(mountPoint);
    String real = mountPoint.toRealPath().toString();
    if (stateDir != null) {
      Files.createDirectories(stateDir);
      Files.setPosixFilePermissions(stateDir, PosixFilePermissions.fromString("rwx------"));
      if (Files.exists(stateDir.resolve(FuseState.FILE))) {
        throw new BlockliftException(
            "FUSE state directory "
                + stateDir
                + " already describes a mount: adopt it or clean it up first");
      }
    }
    Libc.Result open = Libc.open("/dev/fuse", Libc.O_RDWR | Libc.O_CLOEXEC);
    if (open.failed()) {
      throw new IOException("cannot open /dev/fuse: errno " + open.errno());
    }
    int fd = (int) open.value();
    FdHolder holder = null;
    FuseJournal journal = null;
    boolean mounted = false;
    try {
      String data =
          "fd="
              + fd
              + ",rootmode=40000,user_id=0,group_id=0,default_permissions,max_read="
              + MAX_PAGES * 4096;
      Libc.Result m = Libc.mount("blocklift", real, FS_TYPE, Libc.MS_NOSUID | Libc.MS_NODEV, data);
      if (m.failed()) {
        throw new IOException(
            "could not mount FUSE at " + mountPoint + ": mount(2) errno " + m.errno());
      }
      mounted = true;
      int stride = FuseJournal.strideFor(MAX_WRITE);
      journal =
          stateDir == null
              ? FuseJournal.inMemory(SLOTS, stride)
              : FuseJournal.create(stateDir.resolve(FuseJournal.FILE), SLOTS, stride);
      holder = stateDir == null ? null : FdHolder.spawn(fd);
      MountInfo info = MountInfo.at(real);
      DeviceFs fs = new DeviceFs(Instant.now().getEpochSecond(), MAX_WRITE, MAX_PAGES);
      FuseServer server =
          new FuseServer(
              mountPoint, real, stateDir, fd, fs, journal, holder, info == null ? "" : info.dev());
      server.persist();
      fs.onChange(server::persistQuietly);
      server.session.start(false);
      return server;
    } catch (IOException | RuntimeException e) {
      if (mounted) {
        Libc.umount2(real, Libc.MNT_DETACH);
      }
      if (holder != null) {
        holder.kill();
      }
      Libc.close(fd);
      if (journal != null) {
        journal.close();
      }
      if (stateDir != null) {
        deleteState(stateDir);
      }
      throw e;
    }
  }

  /**
   * Takes over the mount at {@code mountPoint} described by {@code stateDir}, whose server died or
   * handed over: gets the connection's fd from the holder, re-attaches {@code devices} under their
   * recorded node ids, answers the requests left in the journal and serves on. Throws {@link
   * BlockliftException} when the mount cannot be adopted (then {@link #cleanup} it).
   */
  public static FuseServer adopt(Path mountPoint, Path stateDir, Map<String, BlockDevice> devices)
      throws IOException {
    FuseState state;
    try {
      state = FuseState.read(stateDir);
    } catch (IOException e) {
      throw new BlockliftException(
          "no usable FUSE state in " + stateDir + ": " + e.getMessage(), e);
    }
    String given = mountPoint.toAbsolutePath().normalize().toString();
    if (!given.equals(state.mountPoint()) && !given.equals(state.realMountPoint())) {
      throw new BlockliftException(
          "FUSE state in " + stateDir + " is for " + state.mountPoint() + ", not " + mountPoint);
    }
    MountInfo info = MountInfo.at(state.realMountPoint());
    if (info == null || !info.isBlocklift() || !info.dev().equals(state.mountDev())) {
      throw new BlockliftException(
          "not the blocklift FUSE mount recorded in "
              + stateDir
              + ": "
              + state.realMountPoint()
              + " is "
              + (info == null ? "not a mount point" : info.fsType() + " " + info.dev())
              + ", expected "
              + FS_TYPE
              + " "
              + state.mountDev());
    }
    FdHolder holder = new FdHolder(state.holderPid(), state.holderStart());
    if (!holder.alive()) {
      throw new BlockliftException(
          "the FUSE fd holder (pid "
              + holder.pid()
              + ") of "
              + mountPoint
              + " is gone: the connection is lost; clean the mount up");
    }
    int fd;
    try {
      fd = holder.takeFd();
    } catch (IOException e) {
      throw new BlockliftException("cannot take the FUSE fd over: " + e.getMessage(), e);
    }
    FuseJournal journal = null;
    try {
      Path link = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd));
      if (!link.toString().equals("/dev/fuse")) {
        throw new BlockliftException(
            "the holder's fd " + FdHolder.FD + " is " + link + ", not /dev/fuse");
      }
      journal = FuseJournal.open(stateDir.resolve(FuseJournal.FILE));
      DeviceFs fs =
          new DeviceFs(
              state.createdSeconds(),
              state.maxWrite(),
              state.maxPages(),
              state.init(),
              state.nodes(),
              state.nextId());
      for (var e : devices.entrySet()) {
        fs.attach(e.getKey(), e.getValue());
      }
      FuseServer server =
          new FuseServer(
              mountPoint,
              state.realMountPoint(),
              stateDir,
              fd,
              fs,
              journal,
              holder,
              state.mountDev());
      fs.onChange(server::persistQuietly);
      server.persist();
      server.session.start(true);
      return server;
    } catch (IOException | RuntimeException e) {
      Libc.close(fd);
      if (journal != null) {
        journal.close();
      }
      throw e;
    }
  }

  /**
   * Removes what a mount with {@code stateDir} left behind when it cannot be adopted: the mount
   * (lazily), the fd holder (after checking it is the recorded process), the state files.
   */
  public static void cleanup(Path mountPoint, Path stateDir) throws IOException {
    String real = mountPoint.toAbsolutePath().normalize().toString();
    FdHolder holder = null;
    try {
      FuseState s = FuseState.read(stateDir);
      real = s.realMountPoint();
      holder = new FdHolder(s.holderPid(), s.holderStart());
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "no FUSE state in " + stateDir + ": " + e.getMessage());
    }
    MountInfo info = MountInfo.at(real);
    if (info != null && info.isBlocklift()) {
      Libc.Result r = Libc.umount2(real, Libc.MNT_DETACH);
      if (r.failed()) {
        LOG.log(System.Logger.Level.WARNING, "umount " + real + ": errno " + r.errno());
      }
    }
    if (holder != null) {
      holder.kill();
    }
    deleteState(stateDir);
  }

  private static void deleteState(Path stateDir) {
    for (String f : new String[] {FuseState.FILE, FuseState.FILE + ".tmp", FuseJournal.FILE}) {
      try {
        Files.deleteIfExists(stateDir.resolve(f));
      } catch (IOException e) {
        LOG.log(System.Logger.Level.WARNING, "cannot delete " + stateDir.resolve(f) + ": " + e);
      }
    }
    try {
      Files.deleteIfExists(stateDir);
    } catch (IOException e) {
      // not empty: something else lives there
    }
  }

  private synchronized void persist() throws IOException {
    if (stateDir == null || closed) {
      return;
    }
    new FuseState(
            FuseState.VERSION,
            mountPoint.toAbsolutePath().normalize().toString(),
            realMountPoint,
            mountDev,
            holder.pid(),
            holder.startTime(),
            fs.createdSeconds(),
            MAX_WRITE,
            MAX_PAGES,
            fs.init(),
            fs.nextId(),
            fs.nodes())
        .write(stateDir);
  }

  private void persistQuietly() {
    try {
      persist();
    } catch (IOException e) {
      LOG.log(System.Logger.Level.ERROR, "cannot persist FUSE state in " + stateDir + ": " + e);
    }
  }

  public Path mountPoint() {
    return mountPoint;
  }

  /** Makes {@code device} appear as {@code mountPoint/name}; returns that path. */
  public Path attach(String name, BlockDevice device) {
    fs.attach(name, device);
    return mountPoint.resolve(name);
  }

  /** Removes a file (the device is returned, not closed). */
  public BlockDevice detach(String name) {
    return fs.detach(name);
  }

  public Set<String> names() {
    return fs.files().keySet();
  }

  /**
   * Leaves the mount to a successor ({@link #adopt}): stops reading requests, waits (up to 5 s) for
   * those in flight, flushes the devices (their owner closes them), persists the state and closes
   * this process's fd; the holder keeps the connection. Requests still unanswered stay in the
   * journal.
   */
  public synchronized void handOver() throws IOException {
    if (closed) {
      return;
    }
    if (stateDir == null) {
      throw new IllegalStateException(
          "a FUSE mount without a state directory cannot be handed over");
    }
    boolean drained;
    try {
      drained = session.stop(HANDOVER_WAIT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      drained = false;
    }
    // Flushed, not closed: a device's owner decides what closing means (a copy-on-write device
    // may discard its overlay on close, which the successor still needs).
    IOException failure = flushDevices();
    persist();
    closed = true;
    Libc.close(fd);
    if (drained) {
      journal.close();
    } else {
      LOG.log(
          System.Logger.Level.WARNING,
          "FUSE hand-over: " + session.inFlight() + " requests left for the successor");
    }
    if (failure != null) {
      throw failure;
    }
  }

  /** An action on a device that may fail. */
  private interface DeviceStep {
    void apply(BlockDevice d) throws IOException;
  }

  /** Applies {@code step} to every attached device; the first failure, with the rest suppressed. */
  private IOException eachDevice(DeviceStep step) {
    IOException failure = null;
    for (BlockDevice d : List.copyOf(fs.files().values())) {
      try {
        step.apply(d);
      } catch (IOException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    return failure;
  }

  private IOException flushDevices() {
    return eachDevice(BlockDevice::flush);
  }

  private IOException closeDevices() {
    return eachDevice(BlockDevice::close);
  }

  /** Unmounts, stops the holder, closes every attached device and deletes the state. */
  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    Libc.Result u = Libc.umount2(realMountPoint, Libc.MNT_DETACH);
    if (u.failed()) {
      LOG.log(System.Logger.Level.WARNING, "umount " + realMountPoint + ": errno " + u.errno());
    }
    boolean drained = false;
    try {
      drained = session.stop(CLOSE_WAIT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Libc.close(fd);
    if (holder != null) {
      holder.kill();
    }
    if (drained) {
      journal.close();
    }
    IOException failure = closeDevices();
    for (String name : Set.copyOf(fs.files().keySet())) {
      fs.detach(name);
    }
    if (stateDir != null) {
      deleteState(stateDir);
    }
    if (failure != null) {
      throw failure;
    }
  }
}
