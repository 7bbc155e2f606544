package dev.blocklift.agent;

import dev.blocklift.cache.chain.SingleFlight;
import dev.blocklift.cache.sim.TraceRecorder;
import dev.blocklift.core.ChunkName;
import dev.blocklift.core.CorruptChunkException;
import dev.blocklift.store.ChunkSource;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The top of a worker's fetch path: every device's chunk reads go through one fetcher, which merges
 * concurrent misses on one chunk into ONE read of the tier chain (the cache module's {@link
 * SingleFlight}, across all devices sharing this fetcher), bounds every wait by the fetch timeout,
 * re-verifies the bytes against the chunk name, and counts bytes fetched per image.
 *
 * <p>A chunk whose fetch just failed or timed out is remembered for {@code retryAfter}: its reads
 * in that time fail at once with the first failure's cause, instead of each waiting out the fetch
 * timeout again (the kernel retries a failed block several times; a stalled store would otherwise
 * cost a timeout per retry). The memory holds at most {@link #MAX_REMEMBERED} chunks.
 */
public final class ChunkFetcher implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(ChunkFetcher.class.getName());

  static final int MAX_REMEMBERED = 4096;

  private final ChunkSource source;
  private final Duration timeout;
  private final Duration retryAfter;
  private final java.util.function.LongSupplier nanoTime;
  private final java.util.Map<ChunkName, Failure> failed =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final FetchMetrics metrics;

  /** A fetch that failed, remembered until {@code untilNanos}. */
  private record Failure(long untilNanos, String message) {}

  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private final SingleFlight<ChunkName, byte[]> flights = new SingleFlight<>(executor);
  private volatile TraceRecorder trace;

  /** A fetcher that retries a failed chunk at once (no memory of failures): tests, embedders. */
  public ChunkFetcher(ChunkSource source, Duration timeout, FetchMetrics metrics) {
    this(source, timeout, Duration.ZERO, metrics, System::nanoTime);
  }

  public ChunkFetcher(ChunkSource source, Duration timeout) {
    this(source, timeout, new FetchMetrics());
  }

  /** How long a failed chunk's reads fail at once by default. */
  public static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(5);

  /**
   * @param retryAfter how long reads of a chunk that failed fail at once (zero: always retry)
   * @param nanoTime the monotonic clock of that memory
   */
  public ChunkFetcher(
      ChunkSource source,
      Duration timeout,
      Duration retryAfter,
      FetchMetrics metrics,
      java.util.function.LongSupplier nanoTime) {
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("fetch timeout must be positive, got " + timeout);
    }
    if (retryAfter.isNegative()) {
      throw new IllegalArgumentException("retry-after must not be negative, got " + retryAfter);
    }
    this.source = source;
    this.timeout = timeout;
    this.retryAfter = retryAfter;
    this.metrics = metrics;
    this.nanoTime = nanoTime;
  }

  public ChunkSource source() {
    return source;
  }

  public Duration timeout() {
    return timeout;
  }

  public FetchMetrics metrics() {
    return metrics;
  }

  /**
   * The ciphertext of {@code name}, verified against the name.
   *
   * @param image which image asked, for the per-image byte counters and messages
   * @throws IOException if the chunk is missing, corrupt, or not had within the timeout
   */
  public byte[] fetch(ChunkName name, String image) throws IOException {
    TraceRecorder t = trace;
    metrics.reads.increment();
    Failure recent = failed.get(name);
    if (recent != null) {
      long left = recent.untilNanos() - nanoTime.getAsLong();
      if (left > 0) {
        metrics.failures.increment();
        throw new IOException(
            recent.message()
                + " (failed "
                + (retryAfter.toMillis() - left / 1_000_000)
                + " ms ago; retried in "
                + (left / 1_000_000)
                + " ms)");
      }
      failed.remove(name, recent);
    }
    try {
      byte[] bytes = flights.get(name, timeout, () -> load(name, image));
      if (t != null) {
        t.record(name.toString(), bytes.length);
      }
      return bytes.clone();
    } catch (IOException | CorruptChunkException e) {
      if (e.getMessage().startsWith("timed out")) {
        metrics.timeouts.increment();
      }
      String msg =
          e.getMessage().startsWith("timed out")
              ? "chunk " + name + " not fetched from " + source.describe() + " within " + timeout
              : "chunk " + name + " of " + image + " failed: " + e.getMessage();
      LOG.log(System.Logger.Level.WARNING, msg + " (" + image + ")");
      remember(name, msg);
      throw new IOException(msg, e);
    }
  }

  private void remember(ChunkName name, String message) {
    if (retryAfter.isZero()) {
      return;
    }
    long now = nanoTime.getAsLong();
    if (failed.size() >= MAX_REMEMBERED) {
      failed.values().removeIf(f -> f.untilNanos() - now <= 0);
      if (failed.size() >= MAX_REMEMBERED) {
        failed.clear(); // a store that is down for thousands of chunks: start over, still bounded
      }
    }
    failed.put(name, new Failure(now + retryAfter.toNanos(), message));
  }

  /**
   * Records every chunk read through this fetcher (the access stream the shared tiers see, in
   * order, one line per read including single-flight waiters) into {@code recorder}, or stops
   * recording when {@code null}. The caller closes the recorder.
   */
  public void recordTrace(TraceRecorder recorder) {
    this.trace = recorder;
  }

  /** Reads that joined a fetch of their chunk already in flight. */
  public long joined() {
    return flights.joins();
  }

  /** Number of fetches in flight right now. */
  public int inFlight() {
    return flights.inFlight();
  }

  private byte[] load(ChunkName name, String image) throws IOException {
    long start = System.nanoTime();
    metrics.fetches.increment();
    try {
      Optional<byte[]> got = source.get(name);
      if (got.isEmpty()) {
        throw new IOException("chunk " + name + " is missing from " + source.describe());
      }
      byte[] bytes = got.get();
      if (!name.matches(bytes)) {
        throw new CorruptChunkException(
            name, source.describe(), "content does not hash to its name");
      }
      metrics.recordFetch(image, bytes.length, System.nanoTime() - start);
      failed.remove(name); // a late success ends the memory of an earlier timeout
      return bytes;
    } catch (IOException | RuntimeException e) {
      metrics.failures.increment();
      throw e;
    }
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
