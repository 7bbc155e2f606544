package dev.blocklift.fleet.node;

import dev.blocklift.cache.policy.EvictionPolicy;
import dev.blocklift.cache.policy.Policies;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * A cache node's shard storage: a bounded memory tier over a bounded disk tier. Which keys stay in
 * each tier is decided by an {@link EvictionPolicy} from the cache module (shared with the worker's
 * tiers; LRU-2 by default); this class is only the mechanism that holds the bytes.
 *
 * <p>Writes go to both tiers (the disk tier is the larger, slower copy); a read that misses memory
 * and hits disk is promoted back into memory. A restart starts empty: the disk directory is a
 * cache, its files are removed at start (no index is persisted), which is what "a node restarted
 * empty" means for the fleet. Each tier has its own lock; disk I/O happens outside it (files are
 * written to a temporary name and renamed, a file deleted under a reader reads as a miss).
 */
public final class TieredShardStore implements ShardStore {
  private final Object memLock = new Object();
  private final Map<ShardKey, byte[]> memory = new HashMap<>();
  private final EvictionPolicy<ShardKey> memPolicy;
  private final Object diskLock = new Object();
  private final EvictionPolicy<ShardKey> diskPolicy;
  private final Path dir;
  private final AtomicLong memEvictions = new AtomicLong();
  private final AtomicLong diskEvictions = new AtomicLong();
  private final AtomicLong memHits = new AtomicLong();
  private final AtomicLong diskHits = new AtomicLong();
  private final AtomicLong tmpCounter = new AtomicLong();

  public TieredShardStore(long memoryBytes, Path diskDir, long diskBytes) throws IOException {
    this(memoryBytes, diskDir, diskBytes, Policies.DEFAULT);
  }

  public TieredShardStore(long memoryBytes, Path diskDir, long diskBytes, Policies.Kind policy)
      throws IOException {
    this.memPolicy = policy.create(memoryBytes);
    this.diskPolicy = policy.create(diskBytes);
    this.dir = diskDir.resolve("shards");
    Files.createDirectories(dir);
    try (Stream<Path> old = Files.list(dir)) {
      for (Path p : (Iterable<Path>) old::iterator) {
        Files.deleteIfExists(p);
      }
    }
  }

  @Override
  public Optional<byte[]> get(ShardKey key) throws IOException {
    synchronized (memLock) {
      byte[] v = memory.get(key);
      if (v != null) {
        memPolicy.recordAccess(key);
        memHits.incrementAndGet();
        return Optional.of(v);
      }
    }
    boolean onDisk;
    synchronized (diskLock) {
      onDisk = diskPolicy.contains(key);
      if (onDisk) {
        diskPolicy.recordAccess(key);
      }
    }
    if (!onDisk) {
      return Optional.empty();
    }
    byte[] v;
    try {
      v = Files.readAllBytes(dir.resolve(key.fileName()));
    } catch (NoSuchFileException e) {
      return Optional.empty(); // evicted between the check and the read
    }
    diskHits.incrementAndGet();
    putMemory(key, v);
    return Optional.of(v);
  }

  @Override
  public boolean contains(ShardKey key) {
    synchronized (memLock) {
      if (memory.containsKey(key)) {
        return true;
      }
    }
    synchronized (diskLock) {
      return diskPolicy.contains(key);
    }
  }

  @Override
  public void put(ShardKey key, byte[] value) throws IOException {
    putDisk(key, value);
    putMemory(key, value);
  }

  private void putMemory(ShardKey key, byte[] value) {
    synchronized (memLock) {
      if (memPolicy.contains(key)) {
        memPolicy.remove(key);
        memory.remove(key);
      }
      List<ShardKey> victims = memPolicy.admit(key, value.length);
      boolean refused = false;
      for (ShardKey v : victims) {
        if (v.equals(key)) {
          refused = true;
        } else {
          memory.remove(v);
          memEvictions.incrementAndGet();
        }
      }
      if (!refused) {
        memory.put(key, value);
      }
    }
  }

  private void putDisk(ShardKey key, byte[] value) throws IOException {
    Path tmp = dir.resolve(".tmp-" + tmpCounter.incrementAndGet());
    Files.write(tmp, value);
    List<ShardKey> victims;
    synchronized (diskLock) {
      if (diskPolicy.contains(key)) {
        diskPolicy.remove(key);
      }
      victims = diskPolicy.admit(key, value.length);
      if (victims.contains(key)) {
        Files.deleteIfExists(tmp);
      } else {
        Files.move(tmp, dir.resolve(key.fileName()), StandardCopyOption.REPLACE_EXISTING);
      }
      for (ShardKey v : victims) {
        if (!v.equals(key)) {
          Files.deleteIfExists(dir.resolve(v.fileName()));
          diskEvictions.incrementAndGet();
        }
      }
    }
  }

  @Override
  public void remove(ShardKey key) throws IOException {
    synchronized (memLock) {
      memory.remove(key);
      memPolicy.remove(key);
    }
    synchronized (diskLock) {
      diskPolicy.remove(key);
      Files.deleteIfExists(dir.resolve(key.fileName()));
    }
  }

  @Override
  public Stats stats() {
    long mb;
    long me;
    long db;
    long de;
    synchronized (memLock) {
      mb = memPolicy.weightedSize();
      me = memPolicy.size();
    }
    synchronized (diskLock) {
      db = diskPolicy.weightedSize();
      de = diskPolicy.size();
    }
    return new Stats(
        mb,
        me,
        db,
        de,
        memEvictions.get(),
        diskEvictions.get(),
        memHits.get(),
        diskHits.get(),
        memPolicy.name());
  }

  @Override
  public void close() throws IOException {
    synchronized (memLock) {
      memory.clear();
    }
  }
}
