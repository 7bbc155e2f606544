package dev.blocklift.chunk;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.function.Supplier;

/**
 * A small bounded pool of reusable, non-thread-safe objects (zstd contexts and their buffers). A
 * caller takes one, uses it on its own, and gives it back; when the pool is empty a new one is
 * made, and one given back to a full pool is closed. Works the same for virtual threads, where a
 * {@code ThreadLocal} would make one per (short-lived) thread.
 */
final class Pool<T extends AutoCloseable> {
  private final ArrayBlockingQueue<T> idle;
  private final Supplier<T> factory;

  Pool(int capacity, Supplier<T> factory) {
    this.idle = new ArrayBlockingQueue<>(capacity);
    this.factory = factory;
  }

  /** The pool size used for per-core work: the cores, at least two. */
  static int perCore() {
    return Math.max(2, Runtime.getRuntime().availableProcessors());
  }

  T take() {
    T t = idle.poll();
    return t != null ? t : factory.get();
  }

  void give(T t) {
    if (!idle.offer(t)) {
      try {
        t.close();
      } catch (Exception e) {
        throw new IllegalStateException("cannot close a pooled " + t, e);
      }
    }
  }
}
