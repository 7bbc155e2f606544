package dev.blocklift.agent;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.List;

/**
 * The few libc calls the FUSE server makes, through the FFM API. Every call returns the raw result
 * and leaves errno in {@link Result#errno()}; nothing here throws for a failed syscall (callers
 * decide what an errno means). Linux x86-64/aarch64 glibc only.
 */
@SuppressWarnings("restricted") // the whole point of this class
final class Libc {
  static final int EPERM = 1;
  static final int ENOENT = 2;
  static final int ESRCH = 3;
  static final int EINTR = 4;
  static final int EIO = 5;
  static final int EBADF = 9;
  static final int ECHILD = 10;
  static final int EAGAIN = 11;
  static final int EACCES = 13;
  static final int ENODEV = 19;
  static final int ENOTDIR = 20;
  static final int EISDIR = 21;
  static final int EINVAL = 22;
  static final int EFBIG = 27;
  static final int EROFS = 30;
  static final int ENOSYS = 38;
  static final int ENODATA = 61;
  static final int ECONNABORTED = 103;
  static final int ENOTCONN = 107;

  static final int O_RDONLY = 0;
  static final int O_RDWR = 2;
  static final int O_NONBLOCK = 04000;
  static final int O_CLOEXEC = 02000000;
  static final int F_GETFL = 3;
  static final int F_SETFL = 4;
  static final long MS_NOSUID = 2;
  static final long MS_NODEV = 4;
  static final int MNT_DETACH = 2;
  static final int EFD_NONBLOCK = 04000;
  static final int EFD_CLOEXEC = 02000000;
  static final short POLLIN = 1;
  static final int SIGKILL = 9;
  static final short POSIX_SPAWN_SETSID = 0x80;
  static final long SYS_PIDFD_OPEN = 434;
  static final long SYS_PIDFD_GETFD = 438;

  /** A call's return value and the errno it left (meaningful only when the value says failure). */
  record Result(long value, int errno) {
    boolean failed() {
      return value < 0;
    }
  }

  private static final Linker LINKER = Linker.nativeLinker();
  private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO =
      CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
  private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

  /** sizeof(posix_spawn_file_actions_t) / sizeof(posix_spawnattr_t) on glibc, rounded up. */
  private static final long SPAWN_STRUCT = 512;

  private static final MethodHandle OPEN =
      handle("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), true, 2);
  private static final MethodHandle CLOSE =
      handle("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), true, -1);
  private static final MethodHandle READ =
      handle("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), true, -1);

  /** write(2) of a heap array: the kernel copies at once, so a critical call may see the heap. */
  private static final MethodHandle WRITE_HEAP =
      LINKER.downcallHandle(
          LINKER.defaultLookup().find("write").orElseThrow(),
          FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG),
          CAPTURE_ERRNO,
          Linker.Option.critical(true));

  private static final MethodHandle WRITE =
      handle("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), true, -1);
  private static final MethodHandle FCNTL =
      handle("fcntl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), true, 2);
  private static final MethodHandle POLL =
      handle("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), true, -1);
  private static final MethodHandle EVENTFD =
      handle("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), true, -1);
  private static final MethodHandle MOUNT =
      handle(
          "mount",
          FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS),
          true,
          -1);
  private static final MethodHandle UMOUNT2 =
      handle("umount2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), true, -1);
  private static final MethodHandle KILL =
      handle("kill", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), true, -1);
  private static final MethodHandle WAITPID =
      handle("waitpid", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), true, -1);
  private static final MethodHandle SYSCALL3 =
      handle(
          "syscall",
          FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
          true,
          1);
  private static final MethodHandle SPAWN =
      handle(
          "posix_spawn",
          FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS),
          false,
          -1);
  private static final MethodHandle FA_INIT =
      handle("posix_spawn_file_actions_init", FunctionDescriptor.of(JAVA_INT, ADDRESS), false, -1);
  private static final MethodHandle FA_DESTROY =
      handle(
          "posix_spawn_file_actions_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS), false, -1);
  private static final MethodHandle FA_DUP2 =
      handle(
          "posix_spawn_file_actions_adddup2",
          FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
          false,
          -1);
  private static final MethodHandle FA_OPEN =
      handle(
          "posix_spawn_file_actions_addopen",
          FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
          false,
          -1);
  private static final MethodHandle FA_CLOSEFROM =
      handle(
          "posix_spawn_file_actions_addclosefrom_np",
          FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT),
          false,
          -1);
  private static final MethodHandle FA_CHDIR =
      handle(
          "posix_spawn_file_actions_addchdir_np",
          FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS),
          false,
          -1);
  private static final MethodHandle ATTR_INIT =
      handle("posix_spawnattr_init", FunctionDescriptor.of(JAVA_INT, ADDRESS), false, -1);
  private static final MethodHandle ATTR_DESTROY =
      handle("posix_spawnattr_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS), false, -1);
  private static final MethodHandle ATTR_SETFLAGS =
      handle(
          "posix_spawnattr_setflags",
          FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_SHORT),
          false,
          -1);

  private static final MethodHandle UNSHARE =
      handle("unshare", FunctionDescriptor.of(JAVA_INT, JAVA_INT), true, -1);
  private static final MethodHandle SETNS =
      handle("setns", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), true, -1);
  private static final MethodHandle SOCKET =
      handle("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), true, -1);
  private static final MethodHandle IOCTL =
      handle("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), true, 2);

  static final int CLONE_NEWNET = 0x40000000;
  static final int AF_INET = 2;
  static final int SOCK_DGRAM = 2;
  static final long SIOCGIFFLAGS = 0x8913;
  static final long SIOCSIFFLAGS = 0x8914;
  static final short IFF_UP = 1;

  private Libc() {}

  private static MethodHandle handle(
      String name, FunctionDescriptor fd, boolean errno, int firstVariadic) {
    MemorySegment sym =
        LINKER
            .defaultLookup()
            .find(name)
            .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
    List<Linker.Option> opts = new java.util.ArrayList<>();
    if (errno) {
      opts.add(CAPTURE_ERRNO);
    }
    if (firstVariadic >= 0) {
      opts.add(Linker.Option.firstVariadicArg(firstVariadic));
    }
    return LINKER.downcallHandle(sym, fd, opts.toArray(Linker.Option[]::new));
  }

  private static Result call(MethodHandle h, Object... args) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment state = a.allocate(CAPTURE);
      Object[] full = new Object[args.length + 1];
      full[0] = state;
      System.arraycopy(args, 0, full, 1, args.length);
      Object r = h.invokeWithArguments(full);
      long v = r instanceof Integer i ? i : (Long) r;
      return new Result(v, v < 0 ? (int) ERRNO.get(state, 0L) : 0);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException("native call failed: " + t, t);
    }
  }

  private static int plain(MethodHandle h, Object... args) {
    try {
      return (int) h.invokeWithArguments(args);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException("native call failed: " + t, t);
    }
  }

  static Result open(String path, int flags) {
    try (Arena a = Arena.ofConfined()) {
      return call(OPEN, a.allocateFrom(path), flags, 0);
    }
  }

  static Result close(int fd) {
    return call(CLOSE, fd);
  }

  static Result read(int fd, MemorySegment buf, long len) {
    return io(READ, fd, buf, len);
  }

  static Result write(int fd, MemorySegment buf, long len) {
    return io(buf.isNative() ? WRITE : WRITE_HEAP, fd, buf, len);
  }

  /** read/write without boxing: these are the per-request calls. */
  private static Result io(MethodHandle h, int fd, MemorySegment buf, long len) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment state = a.allocate(CAPTURE);
      long v = (long) h.invokeExact(state, fd, buf, len);
      return new Result(v, v < 0 ? (int) ERRNO.get(state, 0L) : 0);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException("native call failed: " + t, t);
    }
  }

  static Result fcntl(int fd, int cmd, int arg) {
    return call(FCNTL, fd, cmd, arg);
  }

  static Result eventfd(int initial, int flags) {
    return call(EVENTFD, initial, flags);
  }

  /** poll(2) on two fds for POLLIN; returns the revents of each in {@code revents}. */
  static Result poll2(int fd1, int fd2, int timeoutMs, short[] revents) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment fds = a.allocate(16, 8);
      fds.set(JAVA_INT, 0, fd1);
      fds.set(JAVA_SHORT, 4, POLLIN);
      fds.set(JAVA_INT, 8, fd2);
      fds.set(JAVA_SHORT, 12, POLLIN);
      Result r = call(POLL, fds, 2L, timeoutMs);
      revents[0] = fds.get(JAVA_SHORT, 6);
      revents[1] = fds.get(JAVA_SHORT, 14);
      return r;
    }
  }

  static Result mount(String source, String target, String type, long flags, String data) {
    try (Arena a = Arena.ofConfined()) {
      return call(
          MOUNT,
          a.allocateFrom(source),
          a.allocateFrom(target),
          a.allocateFrom(type),
          flags,
          a.allocateFrom(data));
    }
  }

  static Result umount2(String target, int flags) {
    try (Arena a = Arena.ofConfined()) {
      return call(UMOUNT2, a.allocateFrom(target), flags);
    }
  }

  static Result kill(int pid, int signal) {
    return call(KILL, pid, signal);
  }

  /** Reaps {@code pid} if it is our child (ECHILD otherwise). */
  static Result waitpid(int pid) {
    try (Arena a = Arena.ofConfined()) {
      return call(WAITPID, pid, a.allocate(JAVA_INT), 0);
    }
  }

  /** unshare(2): moves the calling thread into new namespaces of the {@code flags} kinds. */
  static Result unshare(int flags) {
    return call(UNSHARE, flags);
  }

  /** setns(2): moves the calling thread into the namespace {@code fd} refers to. */
  static Result setns(int fd, int nstype) {
    return call(SETNS, fd, nstype);
  }

  /**
   * Sets the IFF_UP flag of the interface {@code name} in the calling thread's network namespace
   * (SIOCGIFFLAGS, then SIOCSIFFLAGS on a datagram socket).
   */
  static Result interfaceUp(String name) {
    Result s = call(SOCKET, AF_INET, SOCK_DGRAM, 0);
    if (s.failed()) {
      return s;
    }
    int fd = (int) s.value();
    try (Arena a = Arena.ofConfined()) {
      MemorySegment ifr = a.allocate(40, 8); // struct ifreq: char name[16], then a union
      byte[] n = name.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      MemorySegment.copy(n, 0, ifr, JAVA_BYTE, 0, Math.min(n.length, 15));
      Result r = call(IOCTL, fd, SIOCGIFFLAGS, ifr);
      if (r.failed()) {
        return r;
      }
      ifr.set(JAVA_SHORT, 16, (short) (ifr.get(JAVA_SHORT, 16) | IFF_UP));
      return call(IOCTL, fd, SIOCSIFFLAGS, ifr);
    } finally {
      close(fd);
    }
  }

  static Result pidfdOpen(int pid) {
    return call(SYSCALL3, SYS_PIDFD_OPEN, (long) pid, 0L, 0L);
  }

  static Result pidfdGetfd(int pidfd, int targetFd) {
    return call(SYSCALL3, SYS_PIDFD_GETFD, (long) pidfd, (long) targetFd, 0L);
  }

  /**
   * posix_spawn of {@code argv} in a new session, cwd "/", stdin/out/err on /dev/null, {@code fd}
   * as its fd 3 and no other fd. Returns the pid.
   */
  static int spawnHolding(int fd, List<String> argv) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment fa = a.allocate(SPAWN_STRUCT, 16);
      MemorySegment attr = a.allocate(SPAWN_STRUCT, 16);
      check("posix_spawn_file_actions_init", plain(FA_INIT, fa));
      check("posix_spawnattr_init", plain(ATTR_INIT, attr));
      try {
        check("adddup2", plain(FA_DUP2, fa, fd, 3));
        check("addopen", plain(FA_OPEN, fa, 0, a.allocateFrom("/dev/null"), O_RDWR, 0));
        check("adddup2", plain(FA_DUP2, fa, 0, 1));
        check("adddup2", plain(FA_DUP2, fa, 0, 2));
        check("addclosefrom_np", plain(FA_CLOSEFROM, fa, 4));
        check("addchdir_np", plain(FA_CHDIR, fa, a.allocateFrom("/")));
        check("setflags", plain(ATTR_SETFLAGS, attr, POSIX_SPAWN_SETSID));
        MemorySegment args = a.allocate(ADDRESS, argv.size() + 1L);
        for (int i = 0; i < argv.size(); i++) {
          args.setAtIndex(ADDRESS, i, a.allocateFrom(argv.get(i)));
        }
        args.setAtIndex(ADDRESS, argv.size(), MemorySegment.NULL);
        MemorySegment env = a.allocate(ADDRESS, 1);
        env.setAtIndex(ADDRESS, 0, MemorySegment.NULL);
        MemorySegment pid = a.allocate(JAVA_INT);
        int rc = plain(SPAWN, pid, a.allocateFrom(argv.get(0)), fa, attr, args, env);
        if (rc != 0) {
          throw new IllegalStateException("posix_spawn " + argv + " failed: errno " + rc);
        }
        return pid.get(JAVA_INT, 0);
      } finally {
        plain(FA_DESTROY, fa);
        plain(ATTR_DESTROY, attr);
      }
    }
  }

  private static void check(String what, int rc) {
    if (rc != 0) {
      throw new IllegalStateException(what + " failed: errno " + rc);
    }
  }
}
