package dev.blocklift.cache;

import dev.blocklift.core.ChunkName;
import dev.blocklift.store.ChunkSource;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-memory lower source for chain tests that counts its reads and can be made slow, blocking,
 * failing or lying. (A real store's own tests live in the store module.)
 */
public final class MapSource implements ChunkSource {
  public final Map<ChunkName, byte[]> chunks = new ConcurrentHashMap<>();
  public final AtomicInteger gets = new AtomicInteger();
  public final Map<ChunkName, AtomicInteger> getsPerChunk = new ConcurrentHashMap<>();
  public volatile CountDownLatch gate = new CountDownLatch(0);
  public volatile boolean lie;
  public volatile IOException failure;
  public final AtomicInteger interrupted = new AtomicInteger();

  public ChunkName add(byte[] ciphertext) {
    ChunkName n = ChunkName.ofCiphertext(ciphertext);
    chunks.put(n, ciphertext.clone());
    return n;
  }

  @Override
  public Optional<byte[]> get(ChunkName name) throws IOException {
    gets.incrementAndGet();
    getsPerChunk.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
    try {
      gate.await();
    } catch (InterruptedException e) {
      interrupted.incrementAndGet();
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted");
    }
    if (failure != null) {
      throw failure;
    }
    byte[] b = chunks.get(name);
    if (b == null) {
      return Optional.empty();
    }
    byte[] out = b.clone();
    if (lie) {
      out[0] ^= 1;
    }
    return Optional.of(out);
  }

  @Override
  public boolean exists(ChunkName name) {
    return chunks.containsKey(name);
  }

  @Override
  public String describe() {
    return "map-source";
  }
}
