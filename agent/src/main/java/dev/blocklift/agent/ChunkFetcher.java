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
 */
public final class ChunkFetcher implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(ChunkFetcher.class.getName());

  private final ChunkSource source;
  private final Duration timeout;
  private final FetchMetrics metrics;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private final SingleFlight<ChunkName, byte[]> flights = new SingleFlight<>(executor);
  private volatile TraceRecorder trace;

  public ChunkFetcher(ChunkSource source, Duration timeout, FetchMetrics metrics) {
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("fetch timeout must be positive, got " + timeout);
    }
    this.source = source;
    this.timeout = timeout;
    this.metrics = metrics;
  }

  public ChunkFetcher(ChunkSource source, Duration timeout) {
    this(source, timeout, new FetchMetrics());
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
      throw new IOException(msg, e);
    }
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
