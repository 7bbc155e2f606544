package dev.blocklift.fleet.node;

import dev.blocklift.cache.ChunkVerifier;
import dev.blocklift.cache.DerivedKeys;
import dev.blocklift.cache.TierStats;
import dev.blocklift.cache.policy.Policies;
import dev.blocklift.cache.tier.DiskTier;
import dev.blocklift.cache.tier.MemoryTier;
import dev.blocklift.core.ChunkName;
import dev.blocklift.core.CorruptChunkException;
import dev.blocklift.core.CorruptDataException;
import dev.blocklift.fleet.coding.Shard;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.Optional;

/**
 * A cache node's shard storage on the cache module's tiers: a {@link MemoryTier} over a {@link
 * DiskTier}, both bounded, eviction by the shared policy ({@link Policies#DEFAULT}, LRU-2).
 *
 * <p>The tiers are keyed by 256-bit names, so a shard {@code (chunk, index)} is stored under {@link
 * DerivedKeys#derive}{@code (chunk, "fleet-shard", index)}, and the stored value is the chunk
 * name's 32 raw bytes followed by the shard frame. That lets the tiers' verifier check an entry
 * completely without any outside state (the derived key matches the name and index, and the shard's
 * CRC32C over name, header and payload holds), on every put, on every disk read and on every file
 * the disk tier reloads after a restart. Writes go to both tiers; a disk hit is promoted to memory.
 */
public final class CacheTierShardStore implements ShardStore {
  static final String PURPOSE = "fleet-shard";
  private static final int NAME = 32;
  private final MemoryTier memory;
  private final DiskTier disk;

  public CacheTierShardStore(long memoryBytes, Path diskDir, long diskBytes, int maxChunk)
      throws IOException {
    ChunkVerifier verifier = verifier(maxChunk);
    this.memory = new MemoryTier("memory", Policies.defaultPolicy(memoryBytes), verifier);
    this.disk =
        DiskTier.open(
            diskDir.resolve("shards"),
            "disk",
            Policies.defaultPolicy(diskBytes),
            verifier,
            Clock.systemUTC());
  }

  static ChunkName key(ShardKey key) {
    return DerivedKeys.derive(key.chunk(), PURPOSE, key.index());
  }

  /** Verifies a stored entry (name ‖ shard frame) against its derived key. */
  static ChunkVerifier verifier(int maxChunk) {
    return (derived, bytes, where) -> {
      if (bytes.length < NAME + Shard.HEADER + Shard.TRAILER) {
        throw new CorruptChunkException(derived, where, "too short for a shard entry");
      }
      ChunkName chunk =
          ChunkName.of(dev.blocklift.core.Hex.encode(Arrays.copyOfRange(bytes, 0, NAME)));
      int index = bytes[NAME + 6] & 0xff;
      if (!DerivedKeys.derive(chunk, PURPOSE, index).equals(derived)) {
        throw new CorruptChunkException(
            derived, where, "entry is not shard " + chunk + "/" + index);
      }
      try {
        Shard.parse(chunk, index, Arrays.copyOfRange(bytes, NAME, bytes.length), maxChunk);
      } catch (CorruptDataException e) {
        throw new CorruptChunkException(derived, where, e.getMessage(), e);
      }
    };
  }

  @Override
  public Optional<byte[]> get(ShardKey key) throws IOException {
    ChunkName k = key(key);
    Optional<byte[]> v = memory.get(k);
    if (v.isEmpty()) {
      v = disk.get(k);
      if (v.isPresent()) {
        memory.put(k, v.get());
      }
    }
    return v.map(b -> Arrays.copyOfRange(b, NAME, b.length));
  }

  @Override
  public boolean contains(ShardKey key) {
    ChunkName k = key(key);
    return memory.exists(k) || disk.exists(k);
  }

  @Override
  public void put(ShardKey key, byte[] value) throws IOException {
    ChunkName k = key(key);
    byte[] entry = new byte[NAME + value.length];
    System.arraycopy(key.chunk().bytes(), 0, entry, 0, NAME);
    System.arraycopy(value, 0, entry, NAME, value.length);
    if (disk.exists(k)) {
      disk.remove(k);
    }
    if (memory.exists(k)) {
      memory.remove(k);
    }
    disk.put(k, entry);
    memory.put(k, entry);
  }

  @Override
  public void remove(ShardKey key) throws IOException {
    ChunkName k = key(key);
    memory.remove(k);
    disk.remove(k);
  }

  @Override
  public Stats stats() {
    TierStats m = memory.stats();
    TierStats d = disk.stats();
    return new Stats(
        m.sizeBytes(),
        m.entries(),
        d.sizeBytes(),
        d.entries(),
        m.evictions(),
        d.evictions(),
        m.hits(),
        d.hits(),
        m.policy());
  }

  /** What the disk tier found when it opened (shards kept from before a restart). */
  public DiskTier.LoadReport loadReport() {
    return disk.loadReport();
  }

  @Override
  public void close() throws IOException {
    try {
      memory.close();
    } finally {
      disk.close();
    }
  }
}
