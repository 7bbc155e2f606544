package dev.blocklift.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Read throughput of one file (a device file: the blocklift FUSE file or the file nbdfuse shows).
 *
 * <pre>
 *   FileReadBench seq  FILE [--bs BYTES] [--direct]
 *   FileReadBench rand FILE [--bs BYTES] [--threads N] [--seconds S] [--seed N] [--direct]
 * </pre>
 *
 * {@code seq} reads the whole file once front to back and prints {@code MB/s}; {@code rand} reads
 * {@code bs}-sized blocks at block-aligned offsets drawn from a seeded {@link SplittableRandom}
 * (one stream per thread) for the given time and prints {@code IOPS}. {@code --direct} opens the
 * file with O_DIRECT (aligned buffers), so the page cache of the file itself is bypassed.
 */
public final class FileReadBench {
  private static final int ALIGN = 4096;

  private FileReadBench() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 2 || !(args[0].equals("seq") || args[0].equals("rand"))) {
      System.err.println(
          "usage: FileReadBench seq|rand FILE [--bs BYTES] [--threads N] [--seconds S]"
              + " [--seed N] [--direct]");
      System.exit(2);
    }
    Path file = Path.of(args[1]);
    int bs = args[0].equals("seq") ? 1 << 20 : 4096;
    int threads = 1;
    double seconds = 5;
    long seed = 42;
    boolean direct = false;
    for (int i = 2; i < args.length; i++) {
      switch (args[i]) {
        case "--bs" -> bs = Integer.parseInt(args[++i]);
        case "--threads" -> threads = Integer.parseInt(args[++i]);
        case "--seconds" -> seconds = Double.parseDouble(args[++i]);
        case "--seed" -> seed = Long.parseLong(args[++i]);
        case "--direct" -> direct = true;
        default -> throw new IllegalArgumentException("unknown option: " + args[i]);
      }
    }
    if (bs <= 0 || bs % ALIGN != 0) {
      throw new IllegalArgumentException("--bs must be a positive multiple of 4096, got " + bs);
    }
    List<OpenOption> opts = new ArrayList<>(List.of(StandardOpenOption.READ));
    if (direct) {
      // O_DIRECT, looked up by name: naming the JDK-internal class warns at compile time.
      opts.add(
          (OpenOption)
              Class.forName("com.sun.nio.file.ExtendedOpenOption").getField("DIRECT").get(null));
    }
    try (FileChannel ch = FileChannel.open(file, opts.toArray(OpenOption[]::new))) {
      if (args[0].equals("seq")) {
        System.out.printf(Locale.ROOT, "%.1f%n", sequential(ch, bs));
      } else {
        System.out.printf(Locale.ROOT, "%.0f%n", random(ch, bs, threads, seconds, seed));
      }
    }
  }

  private static ByteBuffer aligned(int size) {
    // slice(): capacity == size, so clear() cannot widen a read past the block.
    return ByteBuffer.allocateDirect(size + ALIGN).alignedSlice(ALIGN).slice(0, size);
  }

  /** Reads the whole file; returns MB/s (10^6 bytes). */
  static double sequential(FileChannel ch, int bs) throws IOException {
    ByteBuffer buf = aligned(bs);
    long size = ch.size();
    long pos = 0;
    long start = System.nanoTime();
    while (pos < size) {
      buf.clear();
      int n = ch.read(buf, pos);
      if (n <= 0) {
        throw new IOException("short read at " + pos + " of " + size);
      }
      pos += n;
    }
    double s = (System.nanoTime() - start) / 1e9;
    return pos / 1e6 / s;
  }

  /** Random aligned reads by {@code threads} threads for {@code seconds}; returns reads/s. */
  static double random(FileChannel ch, int bs, int threads, double seconds, long seed)
      throws IOException, InterruptedException, ExecutionException {
    long blocks = ch.size() / bs;
    if (blocks == 0) {
      throw new IOException("file is smaller than one block of " + bs + " bytes");
    }
    long deadline = System.nanoTime() + (long) (seconds * 1e9);
    long start = System.nanoTime();
    List<Future<Long>> done = new ArrayList<>();
    try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
      for (int t = 0; t < threads; t++) {
        SplittableRandom rnd = new SplittableRandom(seed * 1_000_003L + t);
        done.add(
            pool.submit(
                () -> {
                  ByteBuffer buf = aligned(bs);
                  long ops = 0;
                  while ((ops & 15) != 0 || System.nanoTime() < deadline) {
                    long pos = rnd.nextLong(blocks) * bs;
                    buf.clear();
                    while (buf.hasRemaining()) {
                      int n = ch.read(buf, pos + buf.position());
                      if (n <= 0) {
                        throw new IOException("short read at " + pos + " (seed " + seed + ")");
                      }
                    }
                    ops++;
                  }
                  return ops;
                }));
      }
    }
    double s = (System.nanoTime() - start) / 1e9;
    long ops = 0;
    for (Future<Long> f : done) {
      ops += f.get();
    }
    return ops / s;
  }
}
