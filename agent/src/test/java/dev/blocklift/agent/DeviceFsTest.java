package dev.blocklift.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** DeviceFs at the protocol level: encoded requests in, decoded answers out, no kernel. */
class DeviceFsTest {
  static final int ALL_FLAGS = -1;

  /** A device in memory; {@code fail} makes every read throw. */
  static final class ArrayDevice implements BlockDevice {
    final byte[] data;
    final boolean writable;
    boolean fail;
    int writes;

    ArrayDevice(byte[] data, boolean writable) {
      this.data = data;
      this.writable = writable;
    }

    @Override
    public long size() {
      return data.length;
    }

    @Override
    public boolean writable() {
      return writable;
    }

    @Override
    public void read(long offset, byte[] dst, int dstOffset, int length) throws IOException {
      if (fail) {
        throw new IOException("injected");
      }
      BlockDevice.checkRange(data.length, offset, length, dst, dstOffset);
      System.arraycopy(data, (int) offset, dst, dstOffset, length);
    }

    @Override
    public void write(long offset, byte[] src, int srcOffset, int length) {
      writes++;
      System.arraycopy(src, srcOffset, data, (int) offset, length);
    }
  }

  /** An answer: error (positive errno) and body. */
  record Answer(long unique, int error, ByteBuffer body) {}

  DeviceFs fs;
  ArrayDevice ro;
  ArrayDevice rw;
  long roId;
  long rwId;
  long unique = 100;

  @BeforeEach
  void setUp() {
    fs = new DeviceFs(1_700_000_000L, 128 * 1024, 256);
    byte[] img = new byte[10_000];
    new java.util.Random(7).nextBytes(img);
    ro = new ArrayDevice(img, false);
    rw = new ArrayDevice(new byte[8192], true);
    assertEquals(0, init(7, 40, ALL_FLAGS).error());
    roId = fs.attach("ro", ro);
    rwId = fs.attach("rw", rw);
  }

  static ByteBuffer le(int n) {
    return ByteBuffer.allocate(n).order(ByteOrder.nativeOrder());
  }

  /** Encodes a request with the given body, declaring {@code declared} bytes (-1: the truth). */
  static byte[] request(int opcode, long unique, long node, byte[] body, int declared) {
    ByteBuffer b = ByteBuffer.allocate(40 + body.length).order(ByteOrder.nativeOrder());
    b.putInt(declared < 0 ? 40 + body.length : declared).putInt(opcode).putLong(unique);
    b.putLong(node).putInt(0).putInt(0).putInt(1234).putInt(0).put(body);
    return b.array();
  }

  Answer send(int opcode, long node, byte[] body) {
    return send(request(opcode, ++unique, node, body, -1), DeviceFs.Effect.NONE);
  }

  Answer send(byte[] req, DeviceFs.Effect effect) {
    FuseReply reply = new FuseReply(0);
    MemorySegment seg = MemorySegment.ofArray(req.clone());
    if (!fs.handle(seg, req.length, reply, effect)) {
      return null;
    }
    byte[] out = reply.segment().toArray(ValueLayout.JAVA_BYTE);
    ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.nativeOrder());
    assertEquals(out.length, b.getInt(0), "out header length");
    return new Answer(
        b.getLong(8), -b.getInt(4), b.position(16).slice().order(ByteOrder.nativeOrder()));
  }

  Answer init(int major, int minor, int flags) {
    byte[] body = le(64).putInt(major).putInt(minor).putInt(128 * 1024).putInt(flags).array();
    return send(FuseProto.INIT, 0, body);
  }

  static byte[] readIn(long fh, long offset, int size) {
    return le(40).putLong(fh).putLong(offset).putInt(size).array();
  }

  static byte[] name(String n) {
    byte[] b = n.getBytes(StandardCharsets.UTF_8);
    return Arrays.copyOf(b, b.length + 1);
  }

  @Test
  void initAsksForAsyncReadsDirectIoBigWritesAndMaxPagesWhenOffered() {
    FuseInit agreed = fs.init();
    assertEquals(FuseInit.WANTED, agreed.flags());
    assertEquals(31, agreed.minor());
    DeviceFs fresh = new DeviceFs(0, 128 * 1024, 256);
    fs = fresh;
    Answer a = init(7, 40, FuseProto.ASYNC_READ | (1 << 3));
    ByteBuffer b = a.body();
    assertEquals(64, b.remaining());
    assertEquals(7, b.getInt(0));
    assertEquals(31, b.getInt(4));
    assertEquals(FuseProto.ASYNC_READ, b.getInt(12), "only what is both offered and wanted");
    assertEquals(128 * 1024, b.getInt(20));
    assertEquals(256, b.getShort(28));
    // An older kernel keeps its minor.
    fs = new DeviceFs(0, 128 * 1024, 256);
    assertEquals(28, init(7, 28, ALL_FLAGS).body().getInt(4));
    // A newer major is answered with ours only, and the kernel retries.
    fs = new DeviceFs(0, 128 * 1024, 256);
    Answer newer = init(8, 0, 0);
    assertEquals(8, newer.body().remaining());
    assertEquals(7, newer.body().getInt(0));
    assertEquals(null, fs.init());
  }

  @Test
  void lookupGetattrReadAndReaddir() {
    Answer e = send(FuseProto.LOOKUP, 1, name("ro"));
    assertEquals(0, e.error());
    assertEquals(roId, e.body().getLong(0));
    assertEquals(10_000, e.body().getLong(40 + 8), "size");
    assertEquals(FuseProto.S_IFREG | 0444, e.body().getInt(40 + 60));
    assertEquals(Libc.ENOENT, send(FuseProto.LOOKUP, 1, name("nope")).error());

    Answer attr = send(FuseProto.GETATTR, rwId, new byte[16]);
    assertEquals(FuseProto.S_IFREG | 0644, attr.body().getInt(16 + 60));
    assertEquals(
        FuseProto.S_IFDIR | 0755, send(FuseProto.GETATTR, 1, new byte[16]).body().getInt(16 + 60));

    Answer r = send(FuseProto.READ, roId, readIn(roId, 100, 4096));
    byte[] got = new byte[r.body().remaining()];
    r.body().get(got);
    assertArrayEquals(Arrays.copyOfRange(ro.data, 100, 4196), got);
    assertEquals(
        0, send(FuseProto.READ, roId, readIn(roId, 10_000, 4096)).body().remaining(), "EOF");
    assertEquals(
        10_000 - 9000,
        send(FuseProto.READ, roId, readIn(roId, 9000, 4096)).body().remaining(),
        "short");

    Answer d = send(FuseProto.READDIR, 1, readIn(0, 0, 4096));
    assertEquals(List.of(".", "..", "ro", "rw"), names(d.body()));
    // Resumed from an offset, and cut where the buffer ends.
    assertEquals(List.of("ro", "rw"), names(send(FuseProto.READDIR, 1, readIn(0, 2, 4096)).body()));
    assertEquals(List.of("."), names(send(FuseProto.READDIR, 1, readIn(0, 0, 40)).body()));
  }

  static List<String> names(ByteBuffer b) {
    List<String> out = new ArrayList<>();
    while (b.remaining() >= 24) {
      int start = b.position();
      int len = b.getInt(start + 16);
      byte[] n = new byte[len];
      b.position(start + 24).get(n);
      out.add(new String(n, StandardCharsets.UTF_8));
      b.position(start + FuseProto.align8(24 + len));
    }
    return out;
  }

  @Test
  void writesFlushesSetattrAndOpenModes() {
    byte[] open = le(8).putInt(Libc.O_RDWR).array();
    assertEquals(Libc.EROFS, send(FuseProto.OPEN, roId, open).error());
    Answer o = send(FuseProto.OPEN, rwId, open);
    assertEquals(0, o.error());
    assertEquals(rwId, o.body().getLong(0), "fh is the node id");
    assertEquals(0, send(FuseProto.OPEN, roId, le(8).putInt(Libc.O_RDONLY).array()).error());

    byte[] payload = "hello".getBytes(StandardCharsets.UTF_8);
    byte[] w = le(40 + payload.length).putLong(rwId).putLong(10).putInt(payload.length).array();
    System.arraycopy(payload, 0, w, 40, payload.length);
    Answer wa = send(FuseProto.WRITE, rwId, w);
    assertEquals(0, wa.error());
    assertEquals(5, wa.body().getInt(0));
    assertArrayEquals(payload, Arrays.copyOfRange(rw.data, 10, 15));
    assertEquals(Libc.EROFS, send(FuseProto.WRITE, roId, w).error());
    byte[] past = w.clone();
    ByteBuffer.wrap(past).order(ByteOrder.nativeOrder()).putLong(8, 8192);
    assertEquals(Libc.EFBIG, send(FuseProto.WRITE, rwId, past).error());

    assertEquals(0, send(FuseProto.FLUSH, rwId, new byte[24]).error());
    assertEquals(0, send(FuseProto.FSYNC, rwId, new byte[16]).error());
    assertEquals(0, send(FuseProto.RELEASE, rwId, new byte[24]).error());

    byte[] same = le(88).putInt(FuseProto.FATTR_SIZE).putInt(0).putLong(0).putLong(8192).array();
    assertEquals(0, send(FuseProto.SETATTR, rwId, same).error());
    byte[] other = le(88).putInt(FuseProto.FATTR_SIZE).putInt(0).putLong(0).putLong(10).array();
    assertEquals(Libc.EINVAL, send(FuseProto.SETATTR, rwId, other).error());
    assertEquals(
        Libc.EPERM,
        send(FuseProto.SETATTR, rwId, le(88).putInt(FuseProto.FATTR_MODE).array()).error());
    assertEquals(0, send(FuseProto.SETATTR, rwId, le(88).putInt(1 << 4).array()).error(), "atime");
  }

  @Test
  void aReplayedWriteThatWasAppliedIsAnsweredWithoutApplyingItAgain() {
    int[] recorded = {-1};
    DeviceFs.Effect journal =
        new DeviceFs.Effect() {
          @Override
          public int appliedWrite() {
            return recorded[0];
          }

          @Override
          public void recordWrite(int written) {
            recorded[0] = written;
          }
        };
    byte[] w = le(40 + 3).putLong(rwId).putLong(0).putInt(3).put(new byte[] {1, 2, 3}).array();
    byte[] req = request(FuseProto.WRITE, 555, rwId, w, -1);
    assertEquals(3, send(req, journal).body().getInt(0));
    assertEquals(1, rw.writes);
    assertEquals(3, recorded[0]);
    rw.data[0] = 9; // a newer write to the same byte, answered before the crash
    Answer again = send(req, journal);
    assertEquals(555, again.unique());
    assertEquals(3, again.body().getInt(0));
    assertEquals(1, rw.writes, "not applied twice");
    assertEquals(9, rw.data[0]);
  }

  @Test
  void deviceFailuresAreEioAndUnknownOpsEnosys() {
    ro.fail = true;
    assertEquals(Libc.EIO, send(FuseProto.READ, roId, readIn(roId, 0, 4096)).error());
    assertEquals(Libc.ENOSYS, send(FuseProto.GETXATTR, roId, name("user.x")).error());
    assertEquals(Libc.ENOSYS, send(FuseProto.INTERRUPT, 0, new byte[8]).error());
    assertEquals(Libc.ENOSYS, send(99, roId, new byte[0]).error());
    assertEquals(Libc.ENOENT, send(FuseProto.GETATTR, 77, new byte[16]).error());
    assertEquals(null, send(FuseProto.FORGET, roId, new byte[8]), "FORGET takes no answer");
    assertEquals(null, send(FuseProto.BATCH_FORGET, 0, new byte[8]));
    assertEquals(0, send(FuseProto.STATFS, 1, new byte[0]).error());
  }

  @Test
  void malformedRequestsAreRefusedNotThrown() {
    // Declared length differs from what was read.
    byte[] lie = request(FuseProto.GETATTR, 9, roId, new byte[16], 4000);
    Answer a = send(lie, DeviceFs.Effect.NONE);
    assertEquals(9, a.unique());
    assertEquals(Libc.EINVAL, a.error());
    // Too short to carry a unique: dropped.
    assertEquals(null, send(new byte[20], DeviceFs.Effect.NONE));
    // Bodies shorter than their struct.
    assertEquals(Libc.EINVAL, send(FuseProto.READ, roId, new byte[8]).error());
    assertEquals(Libc.EINVAL, send(FuseProto.WRITE, rwId, new byte[8]).error());
    assertEquals(Libc.EINVAL, send(FuseProto.OPEN, rwId, new byte[2]).error());
    assertEquals(Libc.EINVAL, send(FuseProto.SETATTR, rwId, new byte[30]).error());
    assertEquals(Libc.EINVAL, send(FuseProto.INIT, 0, new byte[4]).error());
    // A write claiming more payload than it carries.
    byte[] w = le(44).putLong(rwId).putLong(0).putInt(1 << 20).array();
    assertEquals(Libc.EINVAL, send(FuseProto.WRITE, rwId, w).error());
    assertEquals(0, rw.writes);
    // A name without its NUL; a huge read; a negative offset.
    assertEquals(
        Libc.EINVAL, send(FuseProto.LOOKUP, 1, "ro".getBytes(StandardCharsets.UTF_8)).error());
    assertEquals(Libc.EINVAL, send(FuseProto.READ, roId, readIn(roId, 0, -1)).error());
    assertEquals(Libc.EINVAL, send(FuseProto.READ, roId, readIn(roId, -5, 10)).error());
    // Still serving.
    assertEquals(0, send(FuseProto.GETATTR, roId, new byte[16]).error());
  }

  @Test
  void persistedNodesKeepTheirIdsAndAMissingDeviceIsEio() {
    DeviceFs resumed =
        new DeviceFs(1, 128 * 1024, 256, fs.init(), Map.of("ro", roId, "rw", rwId), fs.nextId());
    fs = resumed;
    assertEquals(roId, fs.attach("ro", ro));
    assertEquals(Libc.EIO, send(FuseProto.GETATTR, rwId, new byte[16]).error());
    assertEquals(Libc.EIO, send(FuseProto.LOOKUP, 1, name("rw")).error());
    assertEquals(Libc.EIO, send(FuseProto.READ, rwId, readIn(rwId, 0, 10)).error());
    long fresh = fs.attach("new", new ArrayDevice(new byte[10], false));
    assertTrue(fresh > Math.max(roId, rwId), "ids are never reused");
    fs.detach("new");
    assertFalse(fs.nodes().containsKey("new"));
    assertEquals(Libc.ENOENT, send(FuseProto.GETATTR, fresh, new byte[16]).error());
  }
}
