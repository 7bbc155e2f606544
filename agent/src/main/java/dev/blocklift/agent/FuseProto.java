package dev.blocklift.agent;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The slice of the kernel's FUSE protocol (linux/include/uapi/linux/fuse.h, major 7) this server
 * speaks: opcodes, flags, and the byte offsets of the structs it reads and writes. Structs are in
 * host byte order; every accessor here is unaligned, so a request can be read at any offset.
 */
final class FuseProto {
  private FuseProto() {}

  static final int MAJOR = 7;

  /** The minor version this server implements (7.31: max_pages, no fuse_attr flags needed). */
  static final int MINOR = 31;

  static final int LOOKUP = 1;
  static final int FORGET = 2;
  static final int GETATTR = 3;
  static final int SETATTR = 4;
  static final int OPEN = 14;
  static final int READ = 15;
  static final int WRITE = 16;
  static final int STATFS = 17;
  static final int RELEASE = 18;
  static final int FSYNC = 20;
  static final int SETXATTR = 21;
  static final int GETXATTR = 22;
  static final int LISTXATTR = 23;
  static final int REMOVEXATTR = 24;
  static final int FLUSH = 25;
  static final int INIT = 26;
  static final int OPENDIR = 27;
  static final int READDIR = 28;
  static final int RELEASEDIR = 29;
  static final int ACCESS = 34;
  static final int INTERRUPT = 36;
  static final int DESTROY = 38;
  static final int BATCH_FORGET = 42;

  static final int ASYNC_READ = 1;
  static final int BIG_WRITES = 1 << 5;
  static final int ASYNC_DIO = 1 << 15;
  static final int MAX_PAGES = 1 << 22;

  static final int FOPEN_KEEP_CACHE = 1 << 1;

  static final int FATTR_MODE = 1;
  static final int FATTR_UID = 1 << 1;
  static final int FATTR_GID = 1 << 2;
  static final int FATTR_SIZE = 1 << 3;

  static final long ROOT_ID = 1;

  static final int IN_HEADER = 40;
  static final int OUT_HEADER = 16;
  static final int ATTR = 88;
  static final int ENTRY_OUT = 40 + ATTR;
  static final int ATTR_OUT = 16 + ATTR;
  static final int OPEN_OUT = 16;
  static final int WRITE_OUT = 8;
  static final int STATFS_OUT = 80;
  static final int INIT_OUT = 64;
  static final int INIT_IN = 16;
  static final int READ_IN = 40;
  static final int WRITE_IN = 40;
  static final int OPEN_IN = 8;
  static final int SETATTR_IN = 88;
  static final int FORGET_IN = 8;
  static final int BATCH_FORGET_IN = 8;
  static final int DIRENT = 24;

  /** The smallest read(2) buffer the kernel accepts, whatever max_write is. */
  static final int MIN_READ_BUFFER = 8192;

  static final int DT_DIR = 4;
  static final int DT_REG = 8;
  static final int S_IFDIR = 0040000;
  static final int S_IFREG = 0100000;

  private static final ByteOrder HOST = ByteOrder.nativeOrder();
  private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(HOST);
  private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(HOST);
  private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(HOST);

  static int u32(MemorySegment s, long at) {
    return s.get(INT, at);
  }

  static long u64(MemorySegment s, long at) {
    return s.get(LONG, at);
  }

  static void put32(MemorySegment s, long at, int v) {
    s.set(INT, at, v);
  }

  static void put64(MemorySegment s, long at, long v) {
    s.set(LONG, at, v);
  }

  static void put16(MemorySegment s, long at, int v) {
    s.set(SHORT, at, (short) v);
  }

  static int align8(int n) {
    return (n + 7) & ~7;
  }
}
