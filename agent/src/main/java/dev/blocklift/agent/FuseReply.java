package dev.blocklift.agent;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * One request's answer being built: a heap array holding fuse_out_header and the reply body, grown
 * to the largest reply this slot has needed (bounded by max_read plus the header). Each request
 * slot owns one, so the number of these is the number of slots.
 */
final class FuseReply {
  private byte[] buf;
  private MemorySegment seg;
  private int length;

  FuseReply(int initialCapacity) {
    buf = new byte[Math.max(FuseProto.OUT_HEADER + 256, initialCapacity)];
    seg = MemorySegment.ofArray(buf);
  }

  /** Starts an answer of {@code bodyLength} zeroed body bytes to {@code unique}, error 0. */
  MemorySegment begin(long unique, int bodyLength) {
    int n = FuseProto.OUT_HEADER + bodyLength;
    if (buf.length < n) {
      buf = new byte[Math.max(n, Math.min(Integer.MAX_VALUE - 8, buf.length * 2))];
      seg = MemorySegment.ofArray(buf);
    } else {
      Arrays.fill(buf, 0, n, (byte) 0);
    }
    length = n;
    FuseProto.put32(seg, 0, n);
    FuseProto.put32(seg, 4, 0);
    FuseProto.put64(seg, 8, unique);
    return seg.asSlice(FuseProto.OUT_HEADER, bodyLength);
  }

  /** An error answer (header only); {@code errno} is positive. */
  void error(long unique, int errno) {
    begin(unique, 0);
    FuseProto.put32(seg, 4, -errno);
  }

  /** Cuts the body to {@code bodyLength} bytes (a short read, a partial directory listing). */
  void truncateBody(int bodyLength) {
    length = FuseProto.OUT_HEADER + bodyLength;
    FuseProto.put32(seg, 0, length);
  }

  /** The whole array, for a device that reads or writes a byte[] (body at OUT_HEADER). */
  byte[] array() {
    return buf;
  }

  /** Scratch of at least {@code n} bytes, without a reply being built (a write's payload copy). */
  byte[] scratch(int n) {
    if (buf.length < n) {
      buf = new byte[n];
      seg = MemorySegment.ofArray(buf);
    }
    return buf;
  }

  int length() {
    return length;
  }

  int error() {
    return -FuseProto.u32(seg, 4);
  }

  MemorySegment segment() {
    return seg.asSlice(0, length);
  }
}
