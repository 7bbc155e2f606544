package dev.blocklift.cache.tier;

import dev.blocklift.cache.ChunkVerifier;
import dev.blocklift.cache.policy.EvictionPolicy;
import dev.blocklift.cache.policy.Policies;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ChunkName;
import dev.blocklift.core.CorruptChunkException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/*
 * Design: a directory of chunk files that survives restarts.
 *
 * Layout: DIR/ab/abcdef...(64 hex) holds the ciphertext of chunk "abcdef...", sharded by the first
 * two hex digits so no directory grows past a few thousand entries. DIR/.lock is held (an OS file
 * lock) while the tier is open: two agents sharing one cache directory would each believe they own
 * the byte budget.
 *
 * Writes: the bytes go to a temporary file ".NAME.*.tmp" in the shard directory, outside the lock;
 * then, under the lock, the policy admits the chunk, the victims' files are deleted, and the
 * temporary file is renamed (atomic) onto its final name. So a final name only ever holds complete
 * bytes, and the bytes on disk under final names never exceed the budget (temporary files in flight
 * are the only excess, at most one chunk per concurrent put). Nothing is fsynced: after a crash
 * or power loss a file may be short or garbage, which the load below detects.
 *
 * Load (open), LoadCheck.VERIFY_ALL: every file is read and re-verified against its name (the
 * ChunkVerifier); corrupt or empty-by-crash files are deleted and counted. LoadCheck.ON_READ (what
 * a worker uses: a run opens the tier on its start-up path, and reading a full 4 GiB cache there
 * would cost seconds) only lists the files: empty ones are dropped as corrupt, the rest are
 * verified by the get that first reads them, as every get does anyway. In both modes leftover ".tmp" files are deleted and counted as
 * partial, unknown files are left alone and counted as ignored. The survivors are fed to a fresh
 * policy in (mtime, name) order, oldest first, so the rebuilt policy state depends only on the
 * directory's contents: a restart is deterministic. If the budget shrank, the policy's victims are
 * deleted. Hits bump a file's mtime (from the injected Clock), so "recent" survives a restart;
 * frequency history (LRU-2's second access, TinyLFU's sketch) does not: every chunk restarts with
 * one access.
 *
 * Reads: every get re-verifies the bytes (a disk can rot after load); a bad file is deleted and the
 * get is a miss, so the chain below refetches it. A file that vanished under a concurrent eviction
 * is a miss too.
 */

/** A byte-bounded cache tier in a local directory; see the design note in the source. */
public final class DiskTier extends PolicyBoundedTier {
  private static final String LOCK_FILE = ".lock";

  /** How much of the directory {@link #open} checks before the tier serves. */
  public enum LoadCheck {
    /** Read and verify every file at open: O(cache bytes) before the first get. */
    VERIFY_ALL,
    /** List the files only; each is verified by the get that reads it (gets always verify). */
    ON_READ
  }

  /**
   * What {@link #open} found.
   *
   * @param restored chunks loaded and verified
   * @param restoredBytes their bytes
   * @param corruptDropped files that failed verification, deleted
   * @param partialDropped leftover temporary files, deleted
   * @param evicted valid chunks deleted because they did not fit the budget
   * @param ignored files with names the tier does not own, left in place
   */
  public record LoadReport(
      long restored,
      long restoredBytes,
      long corruptDropped,
      long partialDropped,
      long evicted,
      long ignored) {}

  private final Path root;
  private final ChunkVerifier verifier;
  private final Clock clock;
  private final ConcurrentHashMap<ChunkName, Long> index = new ConcurrentHashMap<>();
  private final FileChannel lockChannel;
  private final FileLock fileLock;
  private LoadReport loadReport;

  private DiskTier(
      Path root,
      String name,
      EvictionPolicy<ChunkName> policy,
      ChunkVerifier verifier,
      Clock clock,
      FileChannel lockChannel,
      FileLock fileLock) {
    super(name, policy);
    this.root = root;
    this.verifier = verifier;
    this.clock = clock;
    this.lockChannel = lockChannel;
    this.fileLock = fileLock;
  }

  /** Opens (creating if needed) a disk tier named {@code disk} with the default policy. */
  public static DiskTier open(Path dir, long capacityBytes) throws IOException {
    return open(dir, capacityBytes, LoadCheck.VERIFY_ALL);
  }

  /** The default policy and name verification, with {@code check} at open. */
  public static DiskTier open(Path dir, long capacityBytes, LoadCheck check) throws IOException {
    return open(
        dir,
        "disk",
        Policies.defaultPolicy(capacityBytes),
        ChunkVerifier.NAME_HASH,
        Clock.systemUTC(),
        check);
  }

  /**
   * Opens (creating if needed) the tier in {@code dir}, loading and re-verifying what is there.
   *
   * @param policy a fresh policy whose capacity is the byte budget; owned by the tier
   * @param verifier checks puts, every file at load, and every read
   * @param clock stamps file mtimes (the recency order a restart rebuilds from)
   * @throws BlockliftException if another process (or tier) has the directory open
   */
  public static DiskTier open(
      Path dir, String name, EvictionPolicy<ChunkName> policy, ChunkVerifier verifier, Clock clock)
      throws IOException {
    return open(dir, name, policy, verifier, clock, LoadCheck.VERIFY_ALL);
  }

  /**
   * Opens (creating if needed) the tier in {@code dir}, loading what is there and checking it as
   * {@code check} says.
   */
  public static DiskTier open(
      Path dir,
      String name,
      EvictionPolicy<ChunkName> policy,
      ChunkVerifier verifier,
      Clock clock,
      LoadCheck check)
      throws IOException {
    Path root = dir.toAbsolutePath();
    Files.createDirectories(root);
    FileChannel ch =
        FileChannel.open(
            root.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock fl;
    try {
      fl = ch.tryLock();
    } catch (OverlappingFileLockException e) {
      fl = null;
    }
    if (fl == null) {
      ch.close();
      throw new BlockliftException(
          "disk cache "
              + root
              + " is already in use by another tier or process; give each agent its own cache"
              + " directory");
    }
    DiskTier tier = new DiskTier(root, name, policy, verifier, clock, ch, fl);
    try {
      tier.load(check);
    } catch (IOException | RuntimeException e) {
      tier.close();
      throw e;
    }
    return tier;
  }

  private record Found(ChunkName name, long size, FileTime mtime) {}

  private void load(LoadCheck check) throws IOException {
    List<Found> found = new ArrayList<>();
    long corrupt = 0;
    long partial = 0;
    long ignored = 0;
    try (DirectoryStream<Path> shards = Files.newDirectoryStream(root)) {
      for (Path shard : shards) {
        String sname = shard.getFileName().toString();
        if (!Files.isDirectory(shard) || !isShardName(sname)) {
          if (!sname.equals(LOCK_FILE)) {
            ignored++;
          }
          continue;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(shard)) {
          for (Path f : files) {
            String fname = f.getFileName().toString();
            if (fname.startsWith(".") && fname.endsWith(".tmp")) {
              Files.deleteIfExists(f);
              partial++;
              continue;
            }
            ChunkName cn = chunkNameOrNull(fname);
            if (cn == null || !cn.prefix(2).equals(sname) || !Files.isRegularFile(f)) {
              ignored++;
              continue;
            }
            long size;
            if (check == LoadCheck.VERIFY_ALL) {
              byte[] bytes = Files.readAllBytes(f);
              try {
                verifier.verify(cn, bytes, describe());
              } catch (CorruptChunkException e) {
                Files.deleteIfExists(f);
                corrupt++;
                continue;
              }
              size = bytes.length;
            } else {
              size = Files.size(f);
              if (size == 0) { // a file a crash left empty: no chunk is empty
                Files.deleteIfExists(f);
                corrupt++;
                continue;
              }
            }
            found.add(new Found(cn, size, Files.getLastModifiedTime(f)));
          }
        }
      }
    }
    found.sort(Comparator.comparing(Found::mtime).thenComparing(Found::name));
    long evicted = 0;
    for (Found f : found) {
      boolean admitted = true;
      for (ChunkName v : policy.admit(f.name, f.size)) {
        Files.deleteIfExists(path(v));
        evicted++;
        if (v.equals(f.name)) {
          admitted = false;
        } else {
          index.remove(v);
        }
      }
      if (admitted) {
        index.put(f.name, f.size);
      }
    }
    counters.corruptDropped.add(corrupt);
    counters.partialDropped.add(partial);
    loadReport =
        new LoadReport(index.size(), policy.weightedSize(), corrupt, partial, evicted, ignored);
  }

  private static boolean isShardName(String s) {
    return s.length() == 2 && isLowerHex(s);
  }

  private static ChunkName chunkNameOrNull(String s) {
    if (s.length() != ChunkName.HEX_LENGTH || !isLowerHex(s)) {
      return null;
    }
    return ChunkName.of(s);
  }

  private static boolean isLowerHex(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  /** What the last open found on disk. */
  public LoadReport loadReport() {
    return loadReport;
  }

  /** The directory this tier lives in. */
  public Path directory() {
    return root;
  }

  /** Where a chunk's file lives (whether or not it is cached). */
  public Path path(ChunkName key) {
    return root.resolve(key.prefix(2)).resolve(key.hex());
  }

  @Override
  public Optional<byte[]> get(ChunkName key) throws IOException {
    if (!index.containsKey(key)) {
      counters.misses.increment();
      return Optional.empty();
    }
    Path p = path(key);
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(p);
    } catch (NoSuchFileException e) {
      dropIfStillMissing(key, p);
      counters.misses.increment();
      return Optional.empty();
    } catch (IOException e) {
      // Unreadable (EIO, or not a file any more): forget the entry so a refill can replace it.
      lock.lock();
      try {
        if (policy.remove(key)) {
          index.remove(key);
        }
      } finally {
        lock.unlock();
      }
      counters.misses.increment();
      throw e;
    }
    try {
      verifier.verify(key, bytes, describe());
    } catch (CorruptChunkException e) {
      lock.lock();
      try {
        if (policy.remove(key)) {
          index.remove(key);
          Files.deleteIfExists(p);
        }
      } finally {
        lock.unlock();
      }
      counters.corruptDropped.increment();
      counters.misses.increment();
      return Optional.empty();
    }
    lock.lock();
    try {
      policy.recordAccess(key);
    } finally {
      lock.unlock();
    }
    try {
      Files.setLastModifiedTime(p, FileTime.from(clock.instant()));
    } catch (IOException e) {
      // Evicted meanwhile, or a read-only mount: recency on restart is a hint, not a contract.
    }
    counters.hits.increment();
    counters.hitBytes.add(bytes.length);
    return Optional.of(bytes);
  }

  private void dropIfStillMissing(ChunkName key, Path p) {
    lock.lock();
    try {
      if (index.containsKey(key) && !Files.exists(p)) {
        policy.remove(key);
        index.remove(key);
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean exists(ChunkName key) {
    return index.containsKey(key);
  }

  @Override
  public boolean put(ChunkName key, byte[] ciphertext) throws IOException {
    try {
      verifier.verify(key, ciphertext, "a put into " + describe());
    } catch (CorruptChunkException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    if (index.containsKey(key)) {
      return false;
    }
    Path target = path(key);
    Files.createDirectories(target.getParent());
    Path tmp = Files.createTempFile(target.getParent(), "." + key.hex() + ".", ".tmp");
    try {
      Files.write(tmp, ciphertext);
      Files.setLastModifiedTime(tmp, FileTime.from(clock.instant()));
      lock.lock();
      try {
        if (policy.contains(key)) {
          return false;
        }
        boolean admitted = true;
        for (ChunkName v : policy.admit(key, ciphertext.length)) {
          if (v.equals(key)) {
            admitted = false;
            counters.rejected.increment();
          } else {
            Long size = index.remove(v);
            Files.deleteIfExists(path(v));
            counters.evictions.increment();
            counters.evictedBytes.add(size == null ? 0 : size);
          }
        }
        if (!admitted) {
          return false;
        }
        try {
          Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
          policy.remove(key);
          throw e;
        }
        index.put(key, (long) ciphertext.length);
        counters.puts.increment();
        counters.putBytes.add(ciphertext.length);
        return true;
      } finally {
        lock.unlock();
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  @Override
  public boolean remove(ChunkName key) throws IOException {
    lock.lock();
    try {
      policy.remove(key);
      boolean was = index.remove(key) != null;
      Files.deleteIfExists(path(key));
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
    return name + " " + root;
  }

  /** Releases the directory lock; the files stay for the next open. */
  @Override
  public void close() throws IOException {
    try {
      if (fileLock.isValid()) {
        fileLock.release();
      }
    } finally {
      lockChannel.close();
    }
  }

  @Override
  public String toString() {
    return "DiskTier[" + root + ", " + policy.name() + ", " + policy.capacity() + " bytes]";
  }
}
