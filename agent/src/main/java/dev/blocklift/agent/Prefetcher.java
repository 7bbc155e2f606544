package dev.blocklift.agent;

import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ChunkName;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;

/**
 * Warms the worker's tiers with the chunks a recorded start-up trace says an image reads, in the
 * order it read them, a few at a time on virtual threads, while the mount is still being set up. It
 * goes through the worker's {@link ChunkFetcher}, so a demand read of a chunk being prefetched
 * waits for that same fetch (single flight) instead of fetching again. Only chunks of the image's
 * own manifest are fetched; a failed prefetch is only counted (the demand read tries again).
 */
public final class Prefetcher implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(Prefetcher.class.getName());

  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private final LongAdder done = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final int planned;

  private Prefetcher(int planned) {
    this.planned = planned;
  }

  /**
   * Starts fetching, in trace order, the chunks of {@code trace} that belong to {@code map}.
   *
   * @param parallelism fetches in flight at once (at least 1)
   */
  public static Prefetcher start(ChunkFetcher fetcher, ChunkMap map, Path trace, int parallelism)
      throws IOException {
    if (parallelism < 1) {
      throw new IllegalArgumentException("prefetch parallelism must be >= 1, got " + parallelism);
    }
    Set<ChunkName> ofImage = new HashSet<>();
    for (int i = 0; i < map.chunkCount(); i++) {
      map.chunk(i).ifPresent(ofImage::add);
    }
    List<ChunkName> order = new ArrayList<>();
    for (ChunkName n : readNames(trace)) {
      if (ofImage.contains(n)) {
        order.add(n);
      }
    }
    Prefetcher p = new Prefetcher(order.size());
    Semaphore slots = new Semaphore(parallelism);
    p.executor.execute(
        () -> {
          for (ChunkName n : order) {
            try {
              slots.acquire();
            } catch (InterruptedException e) {
              return;
            }
            p.executor.execute(
                () -> {
                  try {
                    fetcher.fetch(n, map.describe());
                    p.done.increment();
                  } catch (IOException | RuntimeException e) {
                    p.failed.increment();
                    LOG.log(System.Logger.Level.DEBUG, "prefetch of " + n + ": " + e.getMessage());
                  } finally {
                    slots.release();
                  }
                });
          }
        });
    return p;
  }

  /** The distinct chunk names of a trace file, in order of first access. */
  static List<ChunkName> readNames(Path trace) throws IOException {
    if (!Files.isRegularFile(trace)) {
      throw new BlockliftException(
          "prefetch trace " + trace + " does not exist; record one with run --trace FILE");
    }
    Set<ChunkName> names = new LinkedHashSet<>();
    int lineNo = 0;
    for (String line : Files.readAllLines(trace, StandardCharsets.UTF_8)) {
      lineNo++;
      String t = line.strip();
      if (t.isEmpty() || t.startsWith("#")) {
        continue;
      }
      String token = t.split("[ \t]+", 2)[0];
      try {
        names.add(ChunkName.of(token));
      } catch (IllegalArgumentException e) {
        throw new BlockliftException(
            "prefetch trace "
                + trace
                + " line "
                + lineNo
                + ": expected a 64-hex chunk name, got \""
                + (token.length() > 80 ? token.substring(0, 80) + "..." : token)
                + "\"",
            e);
      }
    }
    return List.copyOf(names);
  }

  /** Chunks of the image the trace names (what this prefetcher fetches). */
  public int planned() {
    return planned;
  }

  public long done() {
    return done.sum();
  }

  public long failed() {
    return failed.sum();
  }

  /** Stops prefetching (fetches under way finish in the fetcher, which the worker owns). */
  @Override
  public void close() {
    executor.shutdownNow();
  }
}
