package dev.blocklift.agent;

import dev.blocklift.core.ChunkName;
import dev.blocklift.core.CorruptChunkException;
import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

/**
 * A read-only device over an image's chunk map: a read is split at chunk boundaries; a hole reads
 * as zeros without any fetch; any other chunk is fetched through the shared {@link ChunkFetcher}
 * (tiers, single flight, timeout), verified and decrypted by the {@link ChunkMap}, and copied out.
 *
 * <p>Plaintext lives only here: a small LRU of decrypted chunks per device (bounded in chunks), so
 * a run of small reads in one chunk decrypts it once. Concurrent readers of one chunk of this
 * device share one decryption; the fetcher below merges fetches across devices.
 */
public final class LazyDevice implements BlockDevice {
  private static final System.Logger LOG = System.getLogger(LazyDevice.class.getName());

  private final ChunkMap map;
  private final ChunkFetcher fetcher;
  private final int plaintextChunks;
  private final Map<Integer, byte[]> plaintext;
  private final ConcurrentHashMap<Integer, CompletableFuture<byte[]>> decrypting =
      new ConcurrentHashMap<>();

  /**
   * A device over {@code map} whose chunks come through {@code fetcher}.
   *
   * @param plaintextChunks how many decrypted chunks to keep (0 = none)
   */
  public LazyDevice(ChunkMap map, ChunkFetcher fetcher, int plaintextChunks) {
    if (plaintextChunks < 0) {
      throw new IllegalArgumentException(
          "plaintext cache size must not be negative, got " + plaintextChunks);
    }
    this.map = map;
    this.fetcher = fetcher;
    this.plaintextChunks = plaintextChunks;
    this.plaintext =
        new LinkedHashMap<>(16, 0.75f, true) {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(Map.Entry<Integer, byte[]> eldest) {
            return size() > LazyDevice.this.plaintextChunks;
          }
        };
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
  }

  private byte[] plaintext(int index, ChunkName name) throws IOException {
    synchronized (plaintext) {
      byte[] hit = plaintext.get(index);
      if (hit != null) {
        return hit;
      }
    }
    CompletableFuture<byte[]> mine = new CompletableFuture<>();
    CompletableFuture<byte[]> running = decrypting.putIfAbsent(index, mine);
    if (running != null) {
      return await(running, name);
    }
    try {
      byte[] bytes = decrypt(index, name);
      if (plaintextChunks > 0) {
        synchronized (plaintext) {
          plaintext.put(index, bytes);
        }
      }
      mine.complete(bytes);
      return bytes;
    } catch (IOException | RuntimeException e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      decrypting.remove(index, mine);
    }
  }

  private byte[] decrypt(int index, ChunkName name) throws IOException {
    byte[] ciphertext = fetcher.fetch(name, map.describe());
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

  private static byte[] await(CompletableFuture<byte[]> running, ChunkName name)
      throws IOException {
    try {
      // The leader is itself bounded by the fetch timeout, so this wait is bounded too.
      return running.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw new IOException(io.getMessage(), io);
      }
      throw new IOException("reading chunk " + name + " failed: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while reading chunk " + name, e);
    }
  }
}
