package dev.blocklift.cache.chain;

import dev.blocklift.cache.CacheTier;
import dev.blocklift.cache.FetchStats;
import dev.blocklift.cache.LatencyRecorder;
import dev.blocklift.core.ChunkName;
import dev.blocklift.core.CorruptChunkException;
import dev.blocklift.store.ChunkSource;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One level of the tier chain (desync style): a {@link CacheTier} in front of a lower {@link
 * ChunkSource}. A hit is served from the tier. A miss is fetched from below through a {@link
 * SingleFlight} (concurrent misses on one chunk make ONE lower read), verified against its name
 * unless the lower source is itself a {@code CachingSource} (whose bytes were verified on their way
 * in), filled into the tier, and returned. Every wait is bounded by {@link Options#fetchTimeout()}:
 * past it the read fails with an {@link IOException} and, if nobody else waits, the lower read is
 * cancelled.
 *
 * <p>A failing upper tier never fails the read: an I/O error reading it is a miss, and failing to
 * fill it (disk full, policy refusal) is logged.
 */
public final class CachingSource implements ChunkSource {
  private static final Logger LOG = Logger.getLogger(CachingSource.class.getName());
  private static final ExecutorService VIRTUAL = Executors.newVirtualThreadPerTaskExecutor();

  /**
   * How a level waits for and bounds its lower reads.
   *
   * @param fetchTimeout how long a read waits for the lower source before failing
   * @param maxConcurrentFetches bound on lower reads in flight at once (0 = unbounded); a read that
   *     cannot get a slot within the timeout fails like a timed-out one
   * @param executor runs the lower reads (virtual threads by default)
   */
  public record Options(Duration fetchTimeout, int maxConcurrentFetches, ExecutorService executor) {
    public Options {
      if (fetchTimeout.isNegative() || fetchTimeout.isZero()) {
        throw new IllegalArgumentException("fetch timeout must be positive, got " + fetchTimeout);
      }
      if (maxConcurrentFetches < 0) {
        throw new IllegalArgumentException(
            "max concurrent fetches must not be negative, got " + maxConcurrentFetches);
      }
    }

    /** The given timeout, unbounded concurrency, virtual threads. */
    public static Options withTimeout(Duration fetchTimeout) {
      return new Options(fetchTimeout, 0, VIRTUAL);
    }

    /** 30 s timeout, unbounded concurrency, virtual threads. */
    public static Options defaults() {
      return withTimeout(Duration.ofSeconds(30));
    }
  }

  private final CacheTier upper;
  private final ChunkSource lower;
  private final Options options;
  private final boolean verifyLower;
  private final SingleFlight<ChunkName, Optional<byte[]>> flights;
  private final Semaphore slots;
  private final LatencyRecorder latency = new LatencyRecorder();
  private final LongAdder requests = new LongAdder();
  private final LongAdder fetches = new LongAdder();
  private final LongAdder found = new LongAdder();
  private final LongAdder notFound = new LongAdder();
  private final LongAdder failures = new LongAdder();
  private final LongAdder corrupt = new LongAdder();
  private final LongAdder bytesFetched = new LongAdder();
  private final LongAdder tierErrors = new LongAdder();

  public CachingSource(CacheTier upper, ChunkSource lower, Options options) {
    this.upper = upper;
    this.lower = lower;
    this.options = options;
    this.verifyLower = !(lower instanceof CachingSource) && !(lower instanceof TieredSource);
    this.flights = new SingleFlight<>(options.executor());
    this.slots =
        options.maxConcurrentFetches() == 0
            ? null
            : new Semaphore(options.maxConcurrentFetches(), true);
  }

  public CacheTier upper() {
    return upper;
  }

  public ChunkSource lower() {
    return lower;
  }

  @Override
  public Optional<byte[]> get(ChunkName name) throws IOException {
    Optional<byte[]> hit;
    try {
      hit = upper.get(name);
    } catch (IOException e) {
      // A failing cache (a bad cache disk) degrades to a miss; the read goes below.
      tierErrors.increment();
      LOG.log(Level.WARNING, "reading " + name + " from " + upper.describe() + " failed", e);
      hit = Optional.empty();
    }
    if (hit.isPresent()) {
      return hit;
    }
    requests.increment();
    Optional<byte[]> shared = flights.get(name, options.fetchTimeout(), () -> fetchAndFill(name));
    // The array is shared by every waiter of the flight; each caller gets its own.
    return shared.map(byte[]::clone);
  }

  private Optional<byte[]> fetchAndFill(ChunkName name) throws IOException {
    // A flight for this chunk may have filled the tier between our miss and this load.
    if (upper.exists(name)) {
      try {
        Optional<byte[]> again = upper.get(name);
        if (again.isPresent()) {
          return again;
        }
      } catch (IOException e) {
        tierErrors.increment();
      }
    }
    if (slots != null) {
      try {
        if (!slots.tryAcquire(options.fetchTimeout().toNanos(), TimeUnit.NANOSECONDS)) {
          failures.increment();
          throw new IOException(
              "no fetch slot for "
                  + name
                  + " from "
                  + lower.describe()
                  + " within "
                  + options.fetchTimeout().toMillis()
                  + " ms ("
                  + options.maxConcurrentFetches()
                  + " fetches in flight)");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted waiting for a fetch slot for " + name);
      }
    }
    Optional<byte[]> got;
    fetches.increment();
    long t0 = System.nanoTime();
    try {
      got = lower.get(name);
    } catch (IOException | RuntimeException e) {
      if (e instanceof CorruptChunkException) {
        corrupt.increment();
      } else {
        failures.increment();
      }
      throw e;
    } finally {
      latency.record(System.nanoTime() - t0);
      if (slots != null) {
        slots.release();
      }
    }
    if (got.isEmpty()) {
      notFound.increment();
      return got;
    }
    byte[] bytes = got.get();
    if (verifyLower) {
      try {
        name.verify(bytes, lower.describe());
      } catch (CorruptChunkException e) {
        corrupt.increment();
        throw e;
      }
    }
    found.increment();
    bytesFetched.add(bytes.length);
    try {
      upper.put(name, bytes);
    } catch (IOException | RuntimeException e) {
      tierErrors.increment();
      LOG.log(
          Level.WARNING,
          "could not fill " + upper.describe() + " with " + name + ": " + e.getMessage(),
          e);
    }
    return got;
  }

  @Override
  public boolean exists(ChunkName name) throws IOException {
    return upper.exists(name) || lower.exists(name);
  }

  @Override
  public String describe() {
    return upper.describe() + " > " + lower.describe();
  }

  /** This level's fetch counters and lower-read latency. */
  public FetchStats fetchStats() {
    return new FetchStats(
        upper.describe(),
        lower.describe(),
        requests.sum(),
        fetches.sum(),
        flights.joins(),
        found.sum(),
        notFound.sum(),
        failures.sum(),
        flights.timeouts(),
        corrupt.sum(),
        bytesFetched.sum(),
        latency.snapshot());
  }

  /** Reads and fills of the upper tier that failed with an I/O error (served from below). */
  public long tierErrors() {
    return tierErrors.sum();
  }

  /** Lower reads in flight now. */
  public int inFlight() {
    return flights.inFlight();
  }
}
