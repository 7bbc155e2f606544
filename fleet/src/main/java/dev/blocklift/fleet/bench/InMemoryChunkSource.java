package dev.blocklift.fleet.bench;

import dev.blocklift.core.ChunkName;
import dev.blocklift.store.ChunkSource;
import java.io.InterruptedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * A next tier held in memory for tests and benchmarks: counts its reads and tracks the most reads
 * ever in flight at once (to check the fleet client's store cap), with an optional delay standing
 * in for S3's latency.
 */
public final class InMemoryChunkSource implements ChunkSource {
  private final Map<ChunkName, byte[]> chunks = new ConcurrentHashMap<>();
  private final LongAdder reads = new LongAdder();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();
  private final long delayMillis;

  public InMemoryChunkSource(long delayMillis) {
    this.delayMillis = delayMillis;
  }

  public ChunkName add(byte[] ciphertext) {
    ChunkName name = ChunkName.ofCiphertext(ciphertext);
    chunks.put(name, ciphertext.clone());
    return name;
  }

  @Override
  public Optional<byte[]> get(ChunkName name) throws InterruptedIOException {
    reads.increment();
    int now = inFlight.incrementAndGet();
    maxInFlight.accumulateAndGet(now, Math::max);
    try {
      if (delayMillis > 0) {
        Thread.sleep(delayMillis);
      }
      byte[] b = chunks.get(name);
      return b == null ? Optional.empty() : Optional.of(b.clone());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted reading " + name);
    } finally {
      inFlight.decrementAndGet();
    }
  }

  @Override
  public boolean exists(ChunkName name) {
    return chunks.containsKey(name);
  }

  @Override
  public String describe() {
    return "memory";
  }

  public long reads() {
    return reads.sum();
  }

  public int maxInFlight() {
    return maxInFlight.get();
  }
}
