package dev.blocklift.agent;

import dev.blocklift.cache.chain.SingleFlight;
import dev.blocklift.core.ChunkName;
import dev.blocklift.core.CorruptChunkException;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

/**
 * A read-only device over an image's chunk map: a read is split at chunk boundaries; a hole reads
 * as zeros without any fetch; any other chunk is fetched through the shared {@link ChunkFetcher}
 * (tiers, single flight, timeout), verified, decrypted and (if stored compressed) decompressed by
 * the {@link ChunkMap}, and copied out.
 *
 * <p>Plaintext lives only here: an LRU of decrypted chunks ({@link PlaintextCache}, private to the
 * device or shared by a worker's devices, bounded in bytes), so a run of small reads in one chunk
 * decrypts it once, and a warm device serves reads with one copy and no crypto. Concurrent readers
 * of one chunk of this device share one decryption (the cache module's {@link SingleFlight}, each
 * reader waiting at most twice the fetch timeout, and one that gives up failing no other); the
 * fetcher below merges fetches across devices.
 *
 * <p>Sequential readers are served ahead: once reads walk forward across chunk boundaries ({@link
 * SequentialReadahead}), the next few chunks are fetched and decrypted on {@code executor} into the
 * plaintext LRU, so the crypto of chunk i+1 runs on another core while chunk i is being copied out.
 * A reader that arrives while its chunk is being read ahead joins that work (one decryption, and
 * its outcome, as any reader joining a shared decryption); a failed readahead caches nothing.
 */
public final class LazyDevice implements BlockDevice {
  private static final System.Logger LOG = System.getLogger(LazyDevice.class.getName());

  private final ChunkMap map;
  private final ChunkFetcher fetcher;
  private final PlaintextCache plaintext;
  private final Object owner;
  private final SingleFlight<Slot, byte[]> decryptions = new SingleFlight<>(VIRTUAL);
  private final Duration decryptionWait;
  private final SequentialReadahead readahead;
  private final Executor executor;
  private volatile boolean closed;
  private final java.util.concurrent.atomic.LongAdder fetches =
      new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder fetchedBytes =
      new java.util.concurrent.atomic.LongAdder();
  private volatile StringBuilder trace;

  /** Traces longer than this stop recording (a line is ~72 bytes: ~900k chunk reads). */
  private static final int MAX_TRACE_CHARS = 64 << 20;

  /**
   * Runs the decryptions, and read-ahead work when no executor is given: one virtual thread per
   * chunk.
   */
  private static final ExecutorService VIRTUAL = Executors.newVirtualThreadPerTaskExecutor();

  /** One chunk of this device: what concurrent readers share a decryption of. */
  private record Slot(int index, ChunkName name) {
    @Override
    public String toString() {
      return "chunk " + index + " (" + name + ")";
    }
  }

  /**
   * A device over {@code map} whose chunks come through {@code fetcher}, with a private plaintext
   * cache of {@code plaintextChunks} chunks and the readahead {@link #readaheadFor} picks, on
   * virtual threads.
   *
   * @param plaintextChunks how many decrypted chunks to keep (0 = none)
   */
  public LazyDevice(ChunkMap map, ChunkFetcher fetcher, int plaintextChunks) {
    this(map, fetcher, plaintextChunks, readaheadFor(plaintextChunks), VIRTUAL);
  }

  /** Chunks read ahead of a sequential reader by default (when the plaintext cache allows). */
  public static final int DEFAULT_READAHEAD = 4;

  /**
   * A device over {@code map} whose chunks come through {@code fetcher}, with a private plaintext
   * cache of {@code plaintextChunks} chunks.
   *
   * @param plaintextChunks how many decrypted chunks to keep (0 = none)
   * @param readaheadChunks how many chunks to read ahead of a sequential reader (0 = none); at most
   *     half of {@code plaintextChunks}, so read-ahead chunks do not evict the ones being read
   * @param executor runs read-ahead work
   */
  public LazyDevice(
      ChunkMap map,
      ChunkFetcher fetcher,
      int plaintextChunks,
      int readaheadChunks,
      Executor executor) {
    this(map, fetcher, privateCache(map, plaintextChunks), readaheadChunks, executor);
  }

  /**
   * A device over {@code map} whose chunks come through {@code fetcher}, keeping plaintext in
   * {@code plaintext} (which other devices may share).
   *
   * @param readaheadChunks how many chunks to read ahead of a sequential reader (0 = none); at most
   *     half of what {@code plaintext} holds, so read-ahead chunks do not evict the ones being read
   * @param executor runs read-ahead work
   */
  public LazyDevice(
      ChunkMap map,
      ChunkFetcher fetcher,
      PlaintextCache plaintext,
      int readaheadChunks,
      Executor executor) {
    long half = plaintext.capacity() / map.chunkSize() / 2;
    if (readaheadChunks < 0 || readaheadChunks > half) {
      throw new IllegalArgumentException(
          "readahead must be between 0 and half the plaintext cache ("
              + half
              + " chunks), got "
              + readaheadChunks);
    }
    this.map = map;
    this.fetcher = fetcher;
    this.plaintext = plaintext;
    // Devices of one manifest (every mount and run of one image version, one tenant's keys) share
    // its decrypted chunks: a warm start decrypts nothing. Other images never see them.
    this.owner =
        map instanceof ManifestChunkMap m ? "manifest:" + m.manifest().digest() : (Object) this;
    this.readahead = new SequentialReadahead(readaheadChunks);
    this.executor = executor;
    // The fetch inside is bounded by the fetcher's timeout; the same again covers the crypto.
    this.decryptionWait = fetcher.timeout().multipliedBy(2);
  }

  /**
   * The readahead {@link #LazyDevice(ChunkMap, ChunkFetcher, int)} picks for a cache of {@code
   * plaintextChunks}: {@link #DEFAULT_READAHEAD} when the cache holds at least four times that many
   * chunks, none otherwise (with a small cache, chunks read ahead would evict chunks still being
   * read and cost refetches).
   */
  public static int readaheadFor(long plaintextChunks) {
    return plaintextChunks >= 4L * DEFAULT_READAHEAD ? DEFAULT_READAHEAD : 0;
  }

  private static PlaintextCache privateCache(ChunkMap map, int plaintextChunks) {
    if (plaintextChunks < 0) {
      throw new IllegalArgumentException(
          "plaintext cache size must not be negative, got " + plaintextChunks);
    }
    return new PlaintextCache((long) plaintextChunks * map.chunkSize());
  }

  public ChunkMap map() {
    return map;
  }

  @Override
  public long size() {
    return map.deviceSize();
  }

  @Override
  public void read(long offset, byte[] dst, int dstOffset, int length) throws IOException {
    BlockDevice.checkRange(size(), offset, length, dst, dstOffset);
    int chunkSize = map.chunkSize();
    long pos = offset;
    int out = dstOffset;
    int remaining = length;
    while (remaining > 0) {
      int index = Math.toIntExact(pos / chunkSize);
      int within = (int) (pos % chunkSize);
      int n = Math.min(remaining, map.chunkLength(index) - within);
      Optional<ChunkName> name = map.chunk(index);
      if (name.isEmpty()) {
        Arrays.fill(dst, out, out + n, (byte) 0);
      } else {
        byte[] chunk = plaintext(index, name.get());
        System.arraycopy(chunk, within, dst, out, n);
      }
      pos += n;
      out += n;
      remaining -= n;
    }
    if (length > 0) {
      readAhead(
          Math.toIntExact(offset / chunkSize), Math.toIntExact((offset + length - 1) / chunkSize));
    }
  }

  /** Starts fetching the chunks the readahead policy asks for, after a read of first..last. */
  private void readAhead(int first, int last) {
    SequentialReadahead.Range r = readahead.touched(first, last);
    for (int i = r.from(); i < Math.min(r.to(), map.chunkCount()) && !closed; i++) {
      int index = i;
      Optional<ChunkName> name = map.chunk(index);
      if (name.isEmpty()
          || plaintext.contains(owner, index)
          || decryptions.isInFlight(new Slot(index, name.get()))) {
        continue;
      }
      try {
        executor.execute(
            () -> {
              try {
                plaintext(index, name.get());
              } catch (IOException | RuntimeException e) {
                // The fetcher logged it; a later read of this chunk tries again.
                LOG.log(System.Logger.Level.DEBUG, "readahead of chunk " + index + ": " + e);
              }
            });
      } catch (RejectedExecutionException e) {
        return; // executor shut down: no readahead, reads still work
      }
    }
  }

  /**
   * Stops reading ahead and drops this device's plaintext from the cache, unless other devices of
   * the same manifest share it (then the cache's LRU ages it out); reads keep working, the executor
   * is the caller's.
   */
  @Override
  public void close() {
    closed = true;
    if (owner == this) {
      plaintext.invalidate(this);
    }
  }

  private byte[] plaintext(int index, ChunkName name) throws IOException {
    byte[] hit = plaintext.get(owner, index);
    if (hit != null) {
      return hit;
    }
    return decryptions.get(
        new Slot(index, name), decryptionWait, () -> decryptAndKeep(index, name));
  }

  /** A shared decryption: fetches and decrypts the chunk, and keeps the plaintext. */
  private byte[] decryptAndKeep(int index, ChunkName name) throws IOException {
    // A decryption that finished between our miss and this one may have kept it already.
    byte[] kept = plaintext.get(owner, index);
    if (kept != null) {
      return kept;
    }
    byte[] bytes = decrypt(index, name);
    if (!closed) {
      plaintext.put(owner, index, bytes);
    }
    return bytes;
  }

  /** Chunks this device fetched (plaintext cache misses), whatever tier served them. */
  public long fetches() {
    return fetches.sum();
  }

  /** Reads that joined a decryption of their chunk already in flight (tests). */
  long decryptionsJoined() {
    return decryptions.joins();
  }

  /**
   * Bytes this device fetched as they crossed the tiers: stored chunks (compressed, framed and
   * encrypted), not the plaintext they decrypt to.
   */
  public long fetchedBytes() {
    return fetchedBytes.sum();
  }

  /** Starts keeping this device's chunk reads in memory, in the simulator's trace format. */
  public void recordTrace(String title) {
    trace = new StringBuilder("# blocklift chunk-access trace: " + title.replace('\n', ' ') + "\n");
  }

  /** The trace recorded since {@link #recordTrace} (empty if none). */
  public String trace() {
    StringBuilder t = trace;
    if (t == null) {
      return "";
    }
    synchronized (t) {
      return t.toString();
    }
  }

  private byte[] decrypt(int index, ChunkName name) throws IOException {
    byte[] ciphertext = fetcher.fetch(name, map.describe());
    fetches.increment();
    fetchedBytes.add(ciphertext.length);
    StringBuilder t = trace;
    if (t != null) {
      synchronized (t) {
        if (t.length() < MAX_TRACE_CHARS) {
          t.append(name).append(' ').append(ciphertext.length).append('\n');
        }
      }
    }
    byte[] bytes;
    try {
      bytes = map.decrypt(index, ciphertext);
    } catch (CorruptChunkException e) {
      LOG.log(System.Logger.Level.ERROR, "chunk " + index + " of " + map.describe() + ": " + e);
      throw new IOException(e.getMessage(), e);
    }
    if (bytes.length != map.chunkLength(index)) {
      String msg =
          "chunk "
              + index
              + " ("
              + name
              + ") of "
              + map.describe()
              + " decrypted to "
              + bytes.length
              + " bytes, expected "
              + map.chunkLength(index);
      LOG.log(System.Logger.Level.ERROR, msg);
      throw new IOException(msg);
    }
    return bytes;
  }
}
