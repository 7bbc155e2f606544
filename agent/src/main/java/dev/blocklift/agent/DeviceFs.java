package dev.blocklift.agent;

import static dev.blocklift.agent.FuseProto.put16;
import static dev.blocklift.agent.FuseProto.put32;
import static dev.blocklift.agent.FuseProto.put64;
import static dev.blocklift.agent.FuseProto.u32;
import static dev.blocklift.agent.FuseProto.u64;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The file system the agent serves, at the level of FUSE requests: one flat directory (node 1) in
 * which every attached device is a regular file of the device's size, readable, and writable when
 * the device is. {@link #handle} decodes one request as the kernel wrote it and builds its answer;
 * it never throws (a malformed request is answered EINVAL, a device failure EIO, logged).
 *
 * <p>Node ids are handed out once and never reused, and the name table is part of the persisted
 * state: a server that takes over a live mount must answer for the inodes the kernel has cached. A
 * name whose device the new server was not given answers EIO. The file handle of an open file is
 * its node id, so open files survive a takeover too.
 */
final class DeviceFs {
  private static final System.Logger LOG = System.getLogger(DeviceFs.class.getName());

  /** How long the kernel may cache names and attributes (sizes never change). */
  private static final long VALID_SECONDS = 1;

  /** A request's record of an applied WRITE, so a replay after a crash does not apply it twice. */
  interface Effect {
    /** The byte count of a write already applied (then not to be applied again), or -1. */
    int appliedWrite();

    void recordWrite(int written);

    Effect NONE =
        new Effect() {
          @Override
          public int appliedWrite() {
            return -1;
          }

          @Override
          public void recordWrite(int written) {}
        };
  }

  private final Map<String, Long> ids = new ConcurrentSkipListMap<>();
  private final Map<Long, BlockDevice> devices = new ConcurrentHashMap<>();
  private final Map<String, BlockDevice> byName = new ConcurrentSkipListMap<>();
  private final AtomicLong nextId;
  private final long createdSeconds;
  private final int maxWrite;
  private final int maxPages;
  private volatile FuseInit init;
  private volatile Runnable changed = () -> {};

  /**
   * A file system with no files yet; {@code maxWrite}/{@code maxPages} are what INIT will offer.
   */
  DeviceFs(long createdSeconds, int maxWrite, int maxPages) {
    this(createdSeconds, maxWrite, maxPages, null, Map.of(), 2);
  }

  /** A file system resumed from persisted state: {@code nodes} maps names to their node ids. */
  DeviceFs(
      long createdSeconds,
      int maxWrite,
      int maxPages,
      FuseInit init,
      Map<String, Long> nodes,
      long nextId) {
    if (maxWrite < 4096 || maxPages < 1 || maxPages > 1024) {
      throw new IllegalArgumentException(
          "max_write " + maxWrite + " / max_pages " + maxPages + " out of range");
    }
    this.createdSeconds = createdSeconds;
    this.maxWrite = maxWrite;
    this.maxPages = maxPages;
    this.init = init;
    long next = Math.max(2, nextId);
    for (var e : nodes.entrySet()) {
      checkName(e.getKey());
      if (e.getValue() < 2) {
        throw new IllegalArgumentException("bad node id " + e.getValue() + " for " + e.getKey());
      }
      ids.put(e.getKey(), e.getValue());
      next = Math.max(next, e.getValue() + 1);
    }
    this.nextId = new AtomicLong(next);
  }

  /** Called after INIT and after the name table changed (the server persists then). */
  void onChange(Runnable r) {
    this.changed = r;
  }

  private static void checkName(String name) {
    if (name.isEmpty()
        || name.contains("/")
        || name.indexOf('\0') >= 0
        || name.equals(".")
        || name.equals("..")
        || name.getBytes(StandardCharsets.UTF_8).length > 255) {
      throw new IllegalArgumentException("not a valid file name for a device: \"" + name + "\"");
    }
  }

  /**
   * Makes {@code device} the file {@code name}; a name already in the table (from persisted state)
   * keeps its node id. Returns the node id.
   */
  synchronized long attach(String name, BlockDevice device) {
    checkName(name);
    if (byName.containsKey(name)) {
      throw new IllegalArgumentException("a device named \"" + name + "\" is already attached");
    }
    long id = ids.computeIfAbsent(name, n -> nextId.getAndIncrement());
    devices.put(id, device);
    byName.put(name, device);
    changed.run();
    return id;
  }

  synchronized BlockDevice detach(String name) {
    BlockDevice d = byName.remove(name);
    Long id = ids.remove(name);
    if (id != null) {
      devices.remove(id);
      changed.run();
    }
    return d;
  }

  /** The attached devices by name. */
  Map<String, BlockDevice> files() {
    return byName;
  }

  /** Every name with its node id, attached or only persisted. */
  Map<String, Long> nodes() {
    return new TreeMap<>(ids);
  }

  long nextId() {
    return nextId.get();
  }

  FuseInit init() {
    return init;
  }

  long createdSeconds() {
    return createdSeconds;
  }

  /**
   * Answers the request in {@code req[0, length)} into {@code reply}; returns false when the
   * request takes no answer (FORGET, BATCH_FORGET, or one too short to name its unique).
   */
  boolean handle(MemorySegment req, int length, FuseReply reply, Effect effect) {
    if (length < FuseProto.IN_HEADER || req.byteSize() < length) {
      LOG.log(System.Logger.Level.WARNING, "FUSE request of " + length + " bytes dropped");
      return false;
    }
    int declared = u32(req, 0);
    int opcode = u32(req, 4);
    long unique = u64(req, 8);
    long node = u64(req, 16);
    if (opcode == FuseProto.FORGET || opcode == FuseProto.BATCH_FORGET) {
      return false;
    }
    if (declared != length) {
      LOG.log(
          System.Logger.Level.WARNING,
          "FUSE request " + unique + " says " + declared + " bytes, read " + length);
      reply.error(unique, Libc.EINVAL);
      return true;
    }
    MemorySegment body = req.asSlice(FuseProto.IN_HEADER, length - FuseProto.IN_HEADER);
    try {
      int err = dispatch(opcode, unique, node, body, reply, effect);
      if (err != 0) {
        reply.error(unique, err);
      }
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.ERROR, "FUSE opcode " + opcode + " failed: " + e, e);
      reply.error(unique, Libc.EIO);
    }
    return true;
  }

  /** Returns 0 when {@code reply} holds the answer, else the errno to answer. */
  private int dispatch(
      int opcode, long unique, long node, MemorySegment body, FuseReply reply, Effect effect) {
    if (opcode != FuseProto.INIT && init == null) {
      return Libc.EIO; // the kernel sends nothing before INIT is answered
    }
    return switch (opcode) {
      case FuseProto.INIT -> init(unique, body, reply);
      case FuseProto.LOOKUP -> lookup(unique, node, body, reply);
      case FuseProto.GETATTR -> getattr(unique, node, reply);
      case FuseProto.SETATTR -> setattr(unique, node, body, reply);
      case FuseProto.OPEN -> open(unique, node, body, reply);
      case FuseProto.READ -> read(unique, node, body, reply);
      case FuseProto.WRITE -> write(unique, node, body, reply, effect);
      case FuseProto.FLUSH, FuseProto.FSYNC -> sync(unique, node, reply);
      case FuseProto.RELEASE, FuseProto.RELEASEDIR, FuseProto.DESTROY -> ok(unique, reply);
      case FuseProto.OPENDIR -> opendir(unique, node, reply);
      case FuseProto.READDIR -> readdir(unique, node, body, reply);
      case FuseProto.STATFS -> statfs(unique, reply);
      case FuseProto.ACCESS ->
          node == FuseProto.ROOT_ID || known(node) ? ok(unique, reply) : Libc.ENOENT;
      // INTERRUPT: ENOSYS makes the kernel stop sending them; requests run to the end anyway.
      default -> Libc.ENOSYS;
    };
  }

  private boolean known(long node) {
    return devices.containsKey(node) || ids.containsValue(node);
  }

  private static int ok(long unique, FuseReply reply) {
    reply.begin(unique, 0);
    return 0;
  }

  private int init(long unique, MemorySegment body, FuseReply reply) {
    if (body.byteSize() < FuseProto.INIT_IN) {
      return Libc.EINVAL;
    }
    int major = u32(body, 0);
    if (major < FuseProto.MAJOR) {
      LOG.log(System.Logger.Level.ERROR, "kernel FUSE major " + major + " is too old");
      return 71; // EPROTO
    }
    MemorySegment out = reply.begin(unique, FuseProto.INIT_OUT);
    put32(out, 0, FuseProto.MAJOR);
    if (major > FuseProto.MAJOR) {
      reply.truncateBody(8); // the kernel retries with our major
      put32(out, 4, FuseProto.MINOR);
      return 0;
    }
    FuseInit agreed =
        FuseInit.negotiate(u32(body, 4), u32(body, 12), u32(body, 8), maxWrite, maxPages);
    put32(out, 4, agreed.minor());
    put32(out, 8, agreed.maxReadahead());
    put32(out, 12, agreed.flags());
    put16(out, 16, 12); // max_background
    put16(out, 18, 9); // congestion_threshold
    put32(out, 20, agreed.maxWrite());
    put32(out, 24, 1); // time_gran
    put16(out, 28, agreed.maxPages());
    init = agreed;
    changed.run();
    return 0;
  }

  /** The device behind {@code node}, or the errno to answer: ENOENT, or EIO if not re-attached. */
  private Object device(long node) {
    BlockDevice d = devices.get(node);
    if (d != null) {
      return d;
    }
    return ids.containsValue(node) ? Libc.EIO : Libc.ENOENT;
  }

  private void attr(MemorySegment a, long node, BlockDevice d) {
    put64(a, 0, node);
    put64(a, 24, createdSeconds);
    put64(a, 32, createdSeconds);
    put64(a, 40, createdSeconds);
    if (d == null) {
      put32(a, 60, FuseProto.S_IFDIR | 0755);
      put32(a, 64, 2);
    } else {
      put64(a, 8, d.size());
      put64(a, 16, (d.size() + 511) / 512);
      put32(a, 60, FuseProto.S_IFREG | (d.writable() ? 0644 : 0444));
      put32(a, 64, 1);
    }
    put32(a, 80, 4096);
  }

  private int lookup(long unique, long node, MemorySegment body, FuseReply reply) {
    if (node != FuseProto.ROOT_ID) {
      return Libc.ENOTDIR;
    }
    long nul = -1;
    for (long i = 0; i < body.byteSize(); i++) {
      if (body.get(ValueLayout.JAVA_BYTE, i) == 0) {
        nul = i;
        break;
      }
    }
    if (nul < 0) {
      return Libc.EINVAL;
    }
    String name = new String(body.asSlice(0, nul).toArray(ValueLayout.JAVA_BYTE), UTF8);
    Long id = ids.get(name);
    if (id == null) {
      return Libc.ENOENT;
    }
    BlockDevice d = devices.get(id);
    if (d == null) {
      return Libc.EIO;
    }
    MemorySegment out = reply.begin(unique, FuseProto.ENTRY_OUT);
    put64(out, 0, id);
    put64(out, 8, 1); // generation: node ids are never reused
    put64(out, 16, VALID_SECONDS);
    put64(out, 24, VALID_SECONDS);
    attr(out.asSlice(40), id, d);
    return 0;
  }

  private static final java.nio.charset.Charset UTF8 = StandardCharsets.UTF_8;

  private int getattr(long unique, long node, FuseReply reply) {
    BlockDevice d = null;
    if (node != FuseProto.ROOT_ID) {
      Object o = device(node);
      if (o instanceof Integer err) {
        return err;
      }
      d = (BlockDevice) o;
    }
    MemorySegment out = reply.begin(unique, FuseProto.ATTR_OUT);
    put64(out, 0, VALID_SECONDS);
    attr(out.asSlice(16), node, d);
    return 0;
  }

  private int setattr(long unique, long node, MemorySegment body, FuseReply reply) {
    if (body.byteSize() < FuseProto.SETATTR_IN) {
      return Libc.EINVAL;
    }
    int valid = u32(body, 0);
    if (node == FuseProto.ROOT_ID) {
      return (valid & FuseProto.FATTR_SIZE) != 0 ? Libc.EISDIR : getattr(unique, node, reply);
    }
    Object o = device(node);
    if (o instanceof Integer err) {
      return err;
    }
    BlockDevice d = (BlockDevice) o;
    if ((valid & FuseProto.FATTR_SIZE) != 0 && u64(body, 16) != d.size()) {
      return Libc.EINVAL; // a device has a fixed size
    }
    if ((valid & (FuseProto.FATTR_MODE | FuseProto.FATTR_UID | FuseProto.FATTR_GID)) != 0) {
      return Libc.EPERM;
    }
    return getattr(unique, node, reply); // time changes are ignored
  }

  private int open(long unique, long node, MemorySegment body, FuseReply reply) {
    if (body.byteSize() < FuseProto.OPEN_IN) {
      return Libc.EINVAL;
    }
    if (node == FuseProto.ROOT_ID) {
      return Libc.EISDIR;
    }
    Object o = device(node);
    if (o instanceof Integer err) {
      return err;
    }
    int flags = u32(body, 0);
    boolean wantsWrite = (flags & 3) != Libc.O_RDONLY || (flags & 02000) != 0; // O_APPEND
    if (wantsWrite && !((BlockDevice) o).writable()) {
      return Libc.EROFS;
    }
    MemorySegment out = reply.begin(unique, FuseProto.OPEN_OUT);
    put64(out, 0, node); // fh = node id: stable across a takeover
    put32(out, 8, FuseProto.FOPEN_KEEP_CACHE);
    return 0;
  }

  private int read(long unique, long node, MemorySegment body, FuseReply reply) {
    if (body.byteSize() < FuseProto.READ_IN) {
      return Libc.EINVAL;
    }
    Object o = device(node);
    if (o instanceof Integer err) {
      return node == FuseProto.ROOT_ID ? Libc.EISDIR : err;
    }
    BlockDevice d = (BlockDevice) o;
    long offset = u64(body, 8);
    long size = Integer.toUnsignedLong(u32(body, 16));
    if (offset < 0 || size > (long) maxPages * 4096) {
      LOG.log(System.Logger.Level.WARNING, "READ @" + offset + "+" + size + " refused");
      return Libc.EINVAL;
    }
    int n = offset >= d.size() ? 0 : (int) Math.min(size, d.size() - offset);
    reply.begin(unique, n);
    if (n > 0) {
      try {
        d.read(offset, reply.array(), FuseProto.OUT_HEADER, n);
      } catch (IOException | RuntimeException e) {
        LOG.log(
            System.Logger.Level.ERROR, "read node " + node + " @" + offset + "+" + n + ": " + e);
        return Libc.EIO;
      }
    }
    return 0;
  }

  private int write(long unique, long node, MemorySegment body, FuseReply reply, Effect effect) {
    if (body.byteSize() < FuseProto.WRITE_IN) {
      return Libc.EINVAL;
    }
    long offset = u64(body, 8);
    long size = Integer.toUnsignedLong(u32(body, 16));
    if (size > body.byteSize() - FuseProto.WRITE_IN || offset < 0) {
      return Libc.EINVAL;
    }
    int done = effect.appliedWrite();
    if (done < 0) {
      Object o = device(node);
      if (o instanceof Integer err) {
        return node == FuseProto.ROOT_ID ? Libc.EISDIR : err;
      }
      BlockDevice d = (BlockDevice) o;
      if (!d.writable()) {
        return Libc.EROFS;
      }
      if (offset >= d.size() && size > 0) {
        return Libc.EFBIG;
      }
      int n = (int) Math.min(size, d.size() - offset);
      byte[] tmp = reply.scratch(n);
      MemorySegment.copy(body, ValueLayout.JAVA_BYTE, FuseProto.WRITE_IN, tmp, 0, n);
      try {
        d.write(offset, tmp, 0, n);
      } catch (IOException | RuntimeException e) {
        LOG.log(
            System.Logger.Level.ERROR, "write node " + node + " @" + offset + "+" + n + ": " + e);
        return Libc.EIO;
      }
      effect.recordWrite(n);
      done = n;
    }
    MemorySegment out = reply.begin(unique, FuseProto.WRITE_OUT);
    put32(out, 0, done);
    return 0;
  }

  private int sync(long unique, long node, FuseReply reply) {
    Object o = device(node);
    if (o instanceof Integer err) {
      return node == FuseProto.ROOT_ID ? ok(unique, reply) : err;
    }
    try {
      ((BlockDevice) o).flush();
    } catch (IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.ERROR, "flush node " + node + ": " + e);
      return Libc.EIO;
    }
    return ok(unique, reply);
  }

  private int opendir(long unique, long node, FuseReply reply) {
    if (node != FuseProto.ROOT_ID) {
      return devices.containsKey(node) ? Libc.ENOTDIR : Libc.ENOENT;
    }
    reply.begin(unique, FuseProto.OPEN_OUT);
    return 0;
  }

  private int readdir(long unique, long node, MemorySegment body, FuseReply reply) {
    if (body.byteSize() < FuseProto.READ_IN) {
      return Libc.EINVAL;
    }
    if (node != FuseProto.ROOT_ID) {
      return Libc.ENOTDIR;
    }
    long offset = u64(body, 8);
    int size = (int) Math.min(Integer.toUnsignedLong(u32(body, 16)), 1 << 20);
    List<String> names = new ArrayList<>(List.of(".", ".."));
    List<Long> nodes = new ArrayList<>(List.of(FuseProto.ROOT_ID, FuseProto.ROOT_ID));
    for (var e : ids.entrySet()) {
      names.add(e.getKey());
      nodes.add(e.getValue());
    }
    if (offset < 0) {
      return Libc.EINVAL;
    }
    MemorySegment out = reply.begin(unique, size);
    int at = 0;
    for (long i = offset; i < names.size(); i++) {
      byte[] name = names.get((int) i).getBytes(UTF8);
      int len = FuseProto.align8(FuseProto.DIRENT + name.length);
      if (at + len > size) {
        break;
      }
      put64(out, at, nodes.get((int) i));
      put64(out, at + 8, i + 1);
      put32(out, at + 16, name.length);
      put32(out, at + 20, i < 2 ? FuseProto.DT_DIR : FuseProto.DT_REG);
      MemorySegment.copy(name, 0, out, ValueLayout.JAVA_BYTE, at + FuseProto.DIRENT, name.length);
      at += len;
    }
    reply.truncateBody(at);
    return 0;
  }

  private int statfs(long unique, FuseReply reply) {
    long total = devices.values().stream().mapToLong(BlockDevice::size).sum();
    MemorySegment out = reply.begin(unique, FuseProto.STATFS_OUT);
    put64(out, 0, (total + 4095) / 4096);
    put64(out, 24, ids.size() + 1L);
    put32(out, 40, 4096);
    put32(out, 44, 255);
    put32(out, 48, 4096);
    return 0;
  }
}
