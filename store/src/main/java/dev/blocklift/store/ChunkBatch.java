package dev.blocklift.store;

import dev.blocklift.core.ChunkName;
import java.io.IOException;
import java.time.Instant;
import java.util.Optional;

/**
 * The chunk writes and re-uses of one conversion, made durable together by {@link #commit()}
 * instead of one by one. A conversion commits its batch before it publishes the manifest, so the
 * manifest never names a chunk that a crash could still take away; until then a chunk put through
 * the batch is visible (a concurrent conversion and a re-run after a kill see it) but may not
 * survive a power loss. Thread-safe: many uploads use one batch at once.
 *
 * <p>{@link #direct} is the batch of a store whose puts are durable when they return (S3): it
 * forwards to the store and its commit does nothing.
 */
public interface ChunkBatch extends AutoCloseable {
  /**
   * As {@link ChunkStore#putIfAbsent}, durable once {@link #commit} returns. A chunk already stored
   * under the name with a different size (a file torn by a crash before its writer synced it) is
   * replaced.
   */
  boolean putIfAbsent(ChunkName name, byte[] ciphertext) throws IOException;

  /**
   * Re-uses a stored chunk: if the store holds {@code name} (of {@code expectedSize} bytes, unless
   * that is negative), refreshes its modification time ({@link ChunkStore#touch}: garbage
   * collection's grace period then covers it until the manifest is published) and includes it in
   * what {@link #commit} makes durable.
   *
   * @return its stored size, or -1 if it is absent or of another size (the caller then puts it)
   */
  long reuse(ChunkName name, long expectedSize) throws IOException;

  /**
   * As {@link #reuse reuse(name, -1)}, for a chunk that a manifest published by {@code publishedBy}
   * names. Such a chunk was durable when that manifest was published (its conversion committed
   * first), so if the store shows it unchanged since {@code publishedBy}, {@link #commit} need not
   * sync it again; a copy changed since (re-created after a gc, say) is synced as usual.
   */
  default long reusePublished(ChunkName name, Instant publishedBy) throws IOException {
    return reuse(name, -1);
  }

  /**
   * Makes every chunk put or re-used so far durable (local store: per its {@link FsyncPolicy}).
   * Chunks deleted meanwhile (a concurrent gc) are skipped: the caller re-checks presence after
   * committing.
   */
  void commit() throws IOException;

  @Override
  default void close() throws IOException {}

  /** The batch of a store whose writes are durable when they return. */
  static ChunkBatch direct(ChunkStore store) {
    return new ChunkBatch() {
      @Override
      public boolean putIfAbsent(ChunkName name, byte[] ciphertext) throws IOException {
        return store.putIfAbsent(name, ciphertext);
      }

      @Override
      public long reuse(ChunkName name, long expectedSize) throws IOException {
        Optional<StoredChunk> s = store.stat(name);
        if (s.isEmpty() || (expectedSize >= 0 && s.get().size() != expectedSize)) {
          return -1;
        }
        return store.touch(name) ? s.get().size() : -1;
      }

      @Override
      public void commit() {}
    };
  }
}
