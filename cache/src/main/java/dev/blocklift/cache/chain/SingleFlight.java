package dev.blocklift.cache.chain;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;

/*
 * Design: Go's singleflight with a deadline per waiter.
 *
 * The first caller for a key creates a Flight and submits the loader to the executor (a virtual
 * thread per task by default); later callers for the same key join that Flight while it is in the
 * map. Every caller, the first included, waits on the Flight's future for at most its own timeout,
 * so no caller ever hangs on a stuck loader: it gets an IOException naming the key and the
 * timeout. When the last waiter of a Flight gives up (timeout or interrupt) the Flight is taken
 * out of the map and its task is interrupted (cancel(true)), so a later caller starts afresh
 * instead of joining a fetch known to be stuck. A loader that ignores interrupts keeps its virtual
 * thread until it returns; its result is then dropped.
 *
 * The Flight leaves the map when its loader finishes and BEFORE its future is completed, so a
 * caller that arrives once any waiter has seen the outcome starts a new load: it never joins a
 * finished flight (and gets a stale failure back), and whatever the loader stored on its way out
 * (the cache above it) is visible to it. The cache is what makes later calls cheap, not this
 * class. Results and exceptions are shared by all waiters of one Flight: values must be treated
 * as read-only, and an IOException is re-wrapped per waiter (for a useful stack trace).
 *
 * This is the one single-flight of the code base: the cache tiers (CachingSource), the worker's
 * fetcher, its devices' decryptions and the fleet client's store reads all use it.
 */

/**
 * Concurrent calls for one key share one load; each waiter is bounded by a timeout. See the design
 * note in the source.
 *
 * @param <K> the key (e.g. {@code ChunkName})
 * @param <V> the loaded value, shared read-only by all waiters
 */
public final class SingleFlight<K, V> {

  /** The work to share: typically one read from a lower tier. */
  @FunctionalInterface
  public interface Loader<V> {
    V load() throws IOException;
  }

  private static final class Flight<V> {
    final CompletableFuture<V> result = new CompletableFuture<>();
    Future<?> task;
    int waiters;
    boolean cancelled;
  }

  private final ExecutorService executor;
  private final ConcurrentHashMap<K, Flight<V>> flights = new ConcurrentHashMap<>();
  private final LongAdder loads = new LongAdder();
  private final LongAdder joins = new LongAdder();
  private final LongAdder timeouts = new LongAdder();
  private final LongAdder cancellations = new LongAdder();

  /**
   * @param executor runs the loaders; a virtual-thread-per-task executor fits (loads block on I/O)
   */
  public SingleFlight(ExecutorService executor) {
    this.executor = executor;
  }

  /**
   * Returns the value for {@code key}, loading it with {@code loader} unless a load for the key is
   * already in flight, in which case it waits for that one.
   *
   * @throws IOException the loader's IOException (re-wrapped), or one saying the wait timed out
   * @throws InterruptedIOException if this thread was interrupted while waiting
   * @throws RuntimeException the loader's unchecked exception, as thrown
   */
  public V get(K key, Duration timeout, Loader<V> loader) throws IOException {
    Flight<V> flight;
    boolean leader;
    while (true) {
      Flight<V> mine = new Flight<>();
      Flight<V> existing = flights.putIfAbsent(key, mine);
      flight = existing == null ? mine : existing;
      leader = existing == null;
      synchronized (flight) {
        if (flight.cancelled) {
          flights.remove(key, flight);
          continue;
        }
        flight.waiters++;
      }
      break;
    }
    if (leader) {
      start(key, flight, loader);
    } else {
      joins.increment();
    }
    try {
      return flight.result.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      timeouts.increment();
      leave(key, flight);
      throw new IOException("timed out after " + timeout.toMillis() + " ms waiting for " + key, e);
    } catch (InterruptedException e) {
      leave(key, flight);
      Thread.currentThread().interrupt();
      InterruptedIOException ie = new InterruptedIOException("interrupted waiting for " + key);
      ie.initCause(e);
      throw ie;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw new IOException(io.getMessage(), io);
      }
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new IOException("loading " + key + " failed", cause);
    }
  }

  private void start(K key, Flight<V> flight, Loader<V> loader) {
    loads.increment();
    Future<?> task;
    try {
      task =
          executor.submit(
              () -> {
                // The flight leaves the map before its result is published, so a caller that
                // retries as soon as it sees this result starts a fresh load instead of joining
                // this finished one (and getting a stale failure back).
                V value;
                try {
                  value = loader.load();
                } catch (Throwable t) {
                  flights.remove(key, flight);
                  flight.result.completeExceptionally(t);
                  return;
                }
                flights.remove(key, flight);
                flight.result.complete(value);
              });
    } catch (RejectedExecutionException e) {
      flights.remove(key, flight);
      flight.result.completeExceptionally(
          new IOException("cannot start a load for " + key + ": executor shut down", e));
      return;
    }
    synchronized (flight) {
      flight.task = task;
      if (flight.cancelled) {
        task.cancel(true);
      }
    }
  }

  private void leave(K key, Flight<V> flight) {
    synchronized (flight) {
      flight.waiters--;
      if (flight.waiters > 0 || flight.result.isDone()) {
        return;
      }
      flight.cancelled = true;
      flights.remove(key, flight);
      if (flight.task != null) {
        flight.task.cancel(true);
      }
    }
    cancellations.increment();
    flight.result.completeExceptionally(new IOException("load of " + key + " was abandoned"));
  }

  /** Loads started (one per flight). */
  public long loads() {
    return loads.sum();
  }

  /** Calls that joined a load already in flight. */
  public long joins() {
    return joins.sum();
  }

  /** Waits that timed out. */
  public long timeouts() {
    return timeouts.sum();
  }

  /** Flights abandoned by all their waiters and cancelled. */
  public long cancellations() {
    return cancellations.sum();
  }

  /** Keys with a load in flight now. */
  public int inFlight() {
    return flights.size();
  }

  /** Whether a load for {@code key} is in flight now (a call would join it). */
  public boolean isInFlight(K key) {
    return flights.containsKey(key);
  }
}
