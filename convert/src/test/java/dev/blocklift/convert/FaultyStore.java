package dev.blocklift.convert;

import dev.blocklift.core.ChunkName;
import dev.blocklift.store.ChunkStore;
import dev.blocklift.store.Store;
import dev.blocklift.store.StoredChunk;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/** A chunk store wrapper for fault tests: fails puts after a count, or slows them down. */
final class FaultyStore implements ChunkStore {
  private final ChunkStore inner;
  private final int failAfter;
  private final long delayMillis;
  private final AtomicInteger puts = new AtomicInteger();

  private FaultyStore(ChunkStore inner, int failAfter, long delayMillis) {
    this.inner = inner;
    this.failAfter = failAfter;
    this.delayMillis = delayMillis;
  }

  static Store failAfter(Store store, int puts) {
    return new Store(store.uri(), new FaultyStore(store.chunks(), puts, 0), store.manifests());
  }

  static Store slow(Store store, long delayMillis) {
    return new Store(
        store.uri(),
        new FaultyStore(store.chunks(), Integer.MAX_VALUE, delayMillis),
        store.manifests());
  }

  @Override
  public boolean putIfAbsent(ChunkName name, byte[] ciphertext) throws IOException {
    if (puts.incrementAndGet() > failAfter) {
      throw new IOException("injected store failure on put " + puts.get());
    }
    if (delayMillis > 0) {
      try {
        Thread.sleep(delayMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
    }
    return inner.putIfAbsent(name, ciphertext);
  }

  @Override
  public Optional<byte[]> get(ChunkName name) throws IOException {
    return inner.get(name);
  }

  @Override
  public boolean exists(ChunkName name) throws IOException {
    return inner.exists(name);
  }

  @Override
  public boolean touch(ChunkName name) throws IOException {
    return inner.touch(name);
  }

  @Override
  public Optional<StoredChunk> stat(ChunkName name) throws IOException {
    return inner.stat(name);
  }

  @Override
  public Stream<StoredChunk> list() throws IOException {
    return inner.list();
  }

  @Override
  public boolean delete(ChunkName name) throws IOException {
    return inner.delete(name);
  }

  @Override
  public String describe() {
    return inner.describe();
  }

  @Override
  public void close() throws IOException {
    inner.close();
  }
}
