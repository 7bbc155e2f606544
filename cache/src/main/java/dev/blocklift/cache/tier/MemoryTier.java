package dev.blocklift.cache.tier;

import dev.blocklift.cache.ChunkVerifier;
import dev.blocklift.cache.policy.EvictionPolicy;
import dev.blocklift.cache.policy.Policies;
import dev.blocklift.core.ChunkName;
import dev.blocklift.core.CorruptChunkException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Chunks held in the JVM heap, bounded in bytes by an {@link EvictionPolicy}. Lookups are a
 * lock-free map read; the policy (not thread-safe by design) is updated under one lock, which is
 * held only for bookkeeping, never for I/O or copying.
 */
public final class MemoryTier extends PolicyBoundedTier {
  private final ChunkVerifier verifier;
  private final ConcurrentHashMap<ChunkName, byte[]> chunks = new ConcurrentHashMap<>();

  /** A memory tier named {@code memory} with the default policy, verifying puts by name hash. */
  public MemoryTier(long capacityBytes) {
    this("memory", Policies.defaultPolicy(capacityBytes), ChunkVerifier.NAME_HASH);
  }

  /**
   * @param name for stats and {@link #describe()}
   * @param policy a fresh policy whose capacity is this tier's byte budget; owned by the tier
   * @param verifier checks every put
   */
  public MemoryTier(String name, EvictionPolicy<ChunkName> policy, ChunkVerifier verifier) {
    super(name, policy);
    this.verifier = verifier;
  }

  @Override
  public Optional<byte[]> get(ChunkName key) {
    byte[] v = chunks.get(key);
    if (v == null) {
      counters.misses.increment();
      return Optional.empty();
    }
    lock.lock();
    try {
      policy.recordAccess(key);
    } finally {
      lock.unlock();
    }
    counters.hits.increment();
    counters.hitBytes.add(v.length);
    return Optional.of(v.clone());
  }

  @Override
  public boolean exists(ChunkName key) {
    return chunks.containsKey(key);
  }

  @Override
  public boolean put(ChunkName key, byte[] ciphertext) {
    try {
      verifier.verify(key, ciphertext, "a put into " + describe());
    } catch (CorruptChunkException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    byte[] copy = ciphertext.clone();
    lock.lock();
    try {
      if (policy.contains(key)) {
        return false;
      }
      List<ChunkName> victims = policy.admit(key, copy.length);
      boolean admitted = true;
      for (ChunkName v : victims) {
        if (v.equals(key)) {
          admitted = false;
          counters.rejected.increment();
        } else {
          byte[] gone = chunks.remove(v);
          counters.evictions.increment();
          counters.evictedBytes.add(gone == null ? 0 : gone.length);
        }
      }
      if (admitted) {
        chunks.put(key, copy);
        counters.puts.increment();
        counters.putBytes.add(copy.length);
      }
      return admitted;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean remove(ChunkName key) {
    lock.lock();
    try {
      policy.remove(key);
      boolean was = chunks.remove(key) != null;
      if (was) {
        counters.removals.increment();
      }
      return was;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public String describe() {
    return name;
  }

  @Override
  public String toString() {
    return "MemoryTier[" + name + ", " + policy.name() + ", " + policy.capacity() + " bytes]";
  }
}
