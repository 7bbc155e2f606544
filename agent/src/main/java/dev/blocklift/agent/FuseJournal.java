package dev.blocklift.agent;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The request buffers, as slots of a file mapped shared: the kernel's read(2) writes a request
 * straight into a slot, so a request handed to this process is in that file's page cache even if
 * the process dies the next instant, and a successor maps the same file and finds it there.
 *
 * <p>Layout: a 4 KiB header (magic, slot count, slot stride), then the slots. A slot is 64 bytes of
 * record (whether its WRITE was applied, and how many bytes) followed by the request area. A slot
 * whose request header is zero is free; its header is zeroed before each read(2) and after the
 * answer is written, so a slot with a valid header after a crash holds a request that may not have
 * been answered. Without a state directory the same layout lives in plain memory.
 */
final class FuseJournal implements AutoCloseable {
  static final String FILE = "journal";
  private static final long MAGIC = 0x314a_4553_5546_4c42L; // "BLFUSEJ1"
  private static final int HEADER = 4096;
  private static final int RECORD = 64;

  /** One request buffer. */
  final class Slot implements DeviceFs.Effect {
    final int index;
    final MemorySegment record;
    final MemorySegment request;
    final FuseReply reply = new FuseReply(64 * 1024);

    Slot(int index) {
      this.index = index;
      MemorySegment s = segment.asSlice(HEADER + (long) index * stride, stride);
      this.record = s.asSlice(0, RECORD);
      this.request = s.asSlice(RECORD);
    }

    /** Marks the slot free: no request, nothing applied. */
    void clear() {
      request.asSlice(0, FuseProto.IN_HEADER).fill((byte) 0);
      record.asSlice(0, 8).fill((byte) 0);
    }

    /** The request's length if this slot holds one (per its header), else -1. */
    int pendingLength() {
      int len = FuseProto.u32(request, 0);
      long unique = FuseProto.u64(request, 8);
      return len >= FuseProto.IN_HEADER && len <= request.byteSize() && unique != 0 ? len : -1;
    }

    long unique() {
      return FuseProto.u64(request, 8);
    }

    @Override
    public int appliedWrite() {
      return FuseProto.u32(record, 0) == 1 ? FuseProto.u32(record, 4) : -1;
    }

    @Override
    public void recordWrite(int written) {
      FuseProto.put32(record, 4, written);
      FuseProto.put32(record, 0, 1);
    }
  }

  private final Arena arena;
  private final MemorySegment segment;
  private final int stride;
  private final List<Slot> slots = new ArrayList<>();

  private FuseJournal(Arena arena, MemorySegment segment, int count, int stride) {
    this.arena = arena;
    this.segment = segment;
    this.stride = stride;
    for (int i = 0; i < count; i++) {
      slots.add(new Slot(i));
    }
  }

  /** The slot stride for requests of up to {@code maxWrite} payload bytes (page-rounded). */
  static int strideFor(int maxWrite) {
    int area = Math.max(FuseProto.MIN_READ_BUFFER, maxWrite + 4096);
    return (RECORD + area + 4095) & ~4095;
  }

  private static void check(int count, int stride) {
    if (count < 1 || count > 1024 || stride < RECORD + FuseProto.MIN_READ_BUFFER) {
      throw new IllegalArgumentException(
          "journal of " + count + " slots of " + stride + " bytes is out of range");
    }
  }

  /** A journal in plain memory (no crash survival). */
  static FuseJournal inMemory(int count, int stride) {
    check(count, stride);
    Arena a = Arena.ofShared();
    MemorySegment s = a.allocate(HEADER + (long) count * stride, 4096);
    FuseJournal j = new FuseJournal(a, s, count, stride);
    j.writeHeader(count);
    return j;
  }

  /** A fresh journal file (replacing any), mode 0600. */
  static FuseJournal create(Path file, int count, int stride) throws IOException {
    check(count, stride);
    Files.deleteIfExists(file);
    Files.createFile(
        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    FuseJournal j = map(file, count, stride);
    j.writeHeader(count);
    return j;
  }

  /** The journal file a dead server left, with its requests still in it. */
  static FuseJournal open(Path file) throws IOException {
    long size = Files.size(file);
    if (size < HEADER) {
      throw new IOException("FUSE journal " + file + " is truncated (" + size + " bytes)");
    }
    MemorySegment head;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        Arena a = Arena.ofConfined()) {
      head = ch.map(FileChannel.MapMode.READ_ONLY, 0, HEADER, a);
      long magic = FuseProto.u64(head, 0);
      int count = FuseProto.u32(head, 8);
      int stride = FuseProto.u32(head, 12);
      if (magic != MAGIC) {
        throw new IOException("not a FUSE journal: " + file);
      }
      check(count, stride);
      if (size != HEADER + (long) count * stride) {
        throw new IOException(
            "FUSE journal "
                + file
                + " is "
                + size
                + " bytes, its header says "
                + count
                + "x"
                + stride);
      }
      return map(file, count, stride);
    }
  }

  private static FuseJournal map(Path file, int count, int stride) throws IOException {
    Arena a = Arena.ofShared();
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      MemorySegment s =
          ch.map(FileChannel.MapMode.READ_WRITE, 0, HEADER + (long) count * stride, a);
      return new FuseJournal(a, s, count, stride);
    } catch (IOException | RuntimeException e) {
      a.close();
      throw e;
    }
  }

  private void writeHeader(int count) {
    FuseProto.put64(segment, 0, MAGIC);
    FuseProto.put32(segment, 8, count);
    FuseProto.put32(segment, 12, stride);
    for (Slot s : slots) {
      s.clear();
    }
  }

  List<Slot> slots() {
    return slots;
  }

  int stride() {
    return stride;
  }

  /** The slots holding a request that may be unanswered, oldest (lowest unique) first. */
  List<Slot> pending() {
    return slots.stream()
        .filter(s -> s.pendingLength() > 0)
        .sorted(Comparator.comparingLong(Slot::unique))
        .toList();
  }

  @Override
  public void close() {
    arena.close();
  }
}
