package dev.blocklift.agent;

import dev.blocklift.core.ChunkName;
import dev.blocklift.store.ChunkSource;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test chunk source: holds ciphertexts in memory, counts GETs, and can be told to hand out
 * corrupted bytes (as a broken store would) or to block until released (an unreachable store).
 */
final class MemorySource implements ChunkSource {
  final Map<ChunkName, byte[]> chunks = new ConcurrentHashMap<>();
  final AtomicInteger gets = new AtomicInteger();
  volatile boolean corrupt;
  volatile CountDownLatch gate;

  void put(ChunkName name, byte[] ciphertext) {
    chunks.put(name, ciphertext.clone());
  }

  @Override
  public Optional<byte[]> get(ChunkName name) throws IOException {
    gets.incrementAndGet();
    CountDownLatch g = gate;
    if (g != null) {
      try {
        g.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
    }
    byte[] c = chunks.get(name);
    if (c == null) {
      return Optional.empty();
    }
    byte[] out = c.clone();
    if (corrupt) {
      out[out.length / 2] ^= 0x5a;
    }
    return Optional.of(out);
  }

  @Override
  public boolean exists(ChunkName name) {
    return chunks.containsKey(name);
  }

  @Override
  public String describe() {
    return "memory-test";
  }
}
