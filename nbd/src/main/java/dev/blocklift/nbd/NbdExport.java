package dev.blocklift.nbd;

import dev.blocklift.agent.BlockDevice;
import dev.blocklift.agent.CowDevice;
import dev.blocklift.agent.CowOverlay;
import dev.blocklift.agent.LazyDevice;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.function.IntPredicate;
import java.util.function.LongPredicate;

/**
 * What one NBD export serves: a device (an image's read-only lazy device, or a copy-on-write view
 * of it), where its holes are (the manifest's chunk map, and the overlay's written pages), and what
 * {@code NBD_CMD_CACHE} warms (the lazy device below the overlay). The export owns its devices.
 */
public final class NbdExport implements AutoCloseable {
  /** Chunks warmed at once by one {@code NBD_CMD_CACHE}. */
  private static final int CACHE_PARALLELISM = 4;

  private final String name;
  private final String description;
  private final BlockDevice device;
  private final BlockDevice base;
  private final int chunkSize;
  private final IntPredicate holeChunk;
  private final LongPredicate writtenPage;
  private final ExecutorService warmers = Executors.newVirtualThreadPerTaskExecutor();

  NbdExport(
      String name,
      String description,
      BlockDevice device,
      BlockDevice base,
      int chunkSize,
      IntPredicate holeChunk,
      LongPredicate writtenPage) {
    if (device.size() != base.size()) {
      throw new IllegalArgumentException("the device and its base differ in size");
    }
    if (chunkSize <= 0) {
      throw new IllegalArgumentException("chunk size must be positive, got " + chunkSize);
    }
    this.name = name;
    this.description = description;
    this.device = device;
    this.base = base;
    this.chunkSize = chunkSize;
    this.holeChunk = holeChunk;
    this.writtenPage = writtenPage;
  }

  /** A read-only export of {@code lazy}: writes fail with EPERM. */
  public static NbdExport readOnly(String name, String description, LazyDevice lazy) {
    return new NbdExport(
        name,
        description,
        lazy,
        lazy,
        lazy.map().chunkSize(),
        i -> lazy.map().chunk(i).isEmpty(),
        null);
  }

  /**
   * A writable export: reads and writes go through {@code cow}, whose base must be {@code lazy};
   * writes land in its overlay, never in a chunk.
   */
  public static NbdExport copyOnWrite(
      String name, String description, LazyDevice lazy, CowDevice cow) {
    CowOverlay overlay = cow.overlay();
    return new NbdExport(
        name,
        description,
        cow,
        lazy,
        lazy.map().chunkSize(),
        i -> lazy.map().chunk(i).isEmpty(),
        overlay::has);
  }

  public String name() {
    return name;
  }

  public String description() {
    return description;
  }

  public long size() {
    return device.size();
  }

  public boolean readOnly() {
    return !device.writable();
  }

  BlockDevice device() {
    return device;
  }

  /**
   * The {@code base:allocation} extents of {@code [offset, offset+length)} as (length, flags)
   * pairs, consecutive runs of equal flags merged, at most {@code max} of them (the last one then
   * ends short of the range). A hole chunk that the overlay has not written reads as zeros: {@code
   * NBD_STATE_HOLE | NBD_STATE_ZERO}; everything else is data (flags 0).
   */
  List<long[]> extents(long offset, long length, int max) {
    List<long[]> out = new ArrayList<>();
    long pos = offset;
    long end = offset + length;
    while (pos < end) {
      long chunk = pos / chunkSize;
      long segEnd = Math.min(end, (chunk + 1) * chunkSize);
      boolean hole = holeChunk.test(Math.toIntExact(chunk));
      if (!hole || writtenPage == null) {
        if (!add(out, segEnd - pos, hole ? NbdProto.STATE_HOLE | NbdProto.STATE_ZERO : 0, max)) {
          return out;
        }
      } else {
        long p = pos;
        while (p < segEnd) {
          long page = p / CowOverlay.PAGE;
          long pageEnd = Math.min(segEnd, (page + 1) * CowOverlay.PAGE);
          int flags = writtenPage.test(page) ? 0 : NbdProto.STATE_HOLE | NbdProto.STATE_ZERO;
          if (!add(out, pageEnd - p, flags, max)) {
            return out;
          }
          p = pageEnd;
        }
      }
      pos = segEnd;
    }
    return out;
  }

  private static boolean add(List<long[]> out, long length, int flags, int max) {
    if (!out.isEmpty()) {
      long[] last = out.getLast();
      // Merge while the run still fits the 32-bit descriptor length.
      if (last[1] == flags && last[0] + length <= 0xffff_f000L) {
        last[0] += length;
        return true;
      }
    }
    if (out.size() >= max) {
      return false;
    }
    out.add(new long[] {length, flags});
    return true;
  }

  /**
   * Warms the chunks of {@code [offset, offset+length)} that are not holes: fetched through the
   * worker's tiers (single flight) and decrypted into the plaintext cache, a few at a time. Throws
   * the first failure (a chunk not had within the fetch timeout) once all are done.
   */
  void cache(long offset, long length) throws IOException {
    if (length == 0) {
      return;
    }
    long first = offset / chunkSize;
    long last = (offset + length - 1) / chunkSize;
    Semaphore slots = new Semaphore(CACHE_PARALLELISM);
    List<Future<?>> running = new ArrayList<>();
    try {
      for (long c = first; c <= last; c++) {
        if (holeChunk.test(Math.toIntExact(c))) {
          continue;
        }
        long start = c * chunkSize;
        int n = (int) Math.min(chunkSize, size() - start);
        slots.acquire();
        running.add(
            warmers.submit(
                () -> {
                  try {
                    base.read(start, new byte[n], 0, n);
                    return null;
                  } finally {
                    slots.release();
                  }
                }));
      }
      IOException failure = null;
      for (Future<?> f : running) {
        try {
          f.get();
        } catch (java.util.concurrent.ExecutionException e) {
          if (failure == null) {
            failure =
                e.getCause() instanceof IOException io
                    ? io
                    : new IOException(String.valueOf(e.getCause()), e.getCause());
          }
        }
      }
      if (failure != null) {
        throw failure;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running.forEach(f -> f.cancel(true));
      throw new IOException("interrupted", e);
    }
  }

  /** Closes the device (and the overlay, which a copy-on-write export discards). */
  @Override
  public void close() throws IOException {
    warmers.shutdownNow();
    device.close();
    if (base != device && !(device instanceof CowDevice)) {
      base.close();
    }
  }
}
