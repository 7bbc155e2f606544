package dev.blocklift.agent;

import dev.blocklift.core.ChunkName;
import dev.blocklift.core.CorruptChunkException;
import dev.blocklift.store.ChunkSource;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Fetches ciphertext chunks from the worker's tier chain with two guarantees: concurrent misses on
 * one chunk share ONE fetch (single flight, across every device that shares this fetcher), and no
 * caller waits longer than the fetch timeout.
 *
 * <p>Each fetch runs on its own virtual thread; callers wait on its future with the timeout. A
 * caller that times out cancels the fetch (interrupting it) and drops it from the in-flight table,
 * so the next read of that chunk tries afresh instead of joining a stuck fetch.
 */
public final class ChunkFetcher implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(ChunkFetcher.class.getName());

  private final ChunkSource source;
  private final Duration timeout;
  private final ConcurrentHashMap<ChunkName, Flight> inFlight = new ConcurrentHashMap<>();
  private final FetchMetrics metrics;

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
   * @param image which image asked, for the per-image byte counters
   * @throws IOException if the chunk is missing, corrupt, or not had within the timeout
   */
  public byte[] fetch(ChunkName name, String image) throws IOException {
    Flight flight = inFlight.computeIfAbsent(name, n -> prepare(n, image));
    flight.startOnce();
    try {
      byte[] bytes = flight.result().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      return bytes.clone();
    } catch (TimeoutException e) {
      metrics.timeouts.increment();
      if (inFlight.remove(name, flight)) {
        flight.thread().interrupt();
      }
      String msg =
          "chunk " + name + " not fetched from " + source.describe() + " within " + timeout;
      LOG.log(System.Logger.Level.WARNING, msg + " (" + image + ")");
      throw new IOException(msg, e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      String msg = "chunk " + name + " of " + image + " failed: " + cause.getMessage();
      LOG.log(System.Logger.Level.WARNING, msg);
      throw new IOException(msg, cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while fetching chunk " + name, e);
    }
  }

  /** Number of fetches in flight right now (for tests and metrics). */
  public int inFlight() {
    return inFlight.size();
  }

  private Flight prepare(ChunkName name, String image) {
    CompletableFuture<byte[]> result = new CompletableFuture<>();
    Flight[] self = new Flight[1];
    Thread thread =
        Thread.ofVirtual()
            .name("fetch-" + name.prefix(12))
            .unstarted(
                () -> {
                  try {
                    result.complete(load(name, image));
                  } catch (Throwable t) {
                    result.completeExceptionally(t);
                  } finally {
                    // A finished fetch leaves the table at once (the tiers below now hold the
                    // bytes); the table only merges concurrent misses.
                    inFlight.remove(name, self[0]);
                  }
                });
    self[0] = new Flight(result, thread, new AtomicBoolean());
    return self[0];
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

  /** One fetch: started by the first caller after it is in the table, so it can remove itself. */
  private record Flight(CompletableFuture<byte[]> result, Thread thread, AtomicBoolean started) {
    void startOnce() {
      if (started.compareAndSet(false, true)) {
        thread.start();
      }
    }
  }

  @Override
  public void close() {
    inFlight.values().forEach(f -> f.thread().interrupt());
    inFlight.clear();
  }
}
