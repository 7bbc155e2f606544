package dev.blocklift.convert;

import dev.blocklift.chunk.Chunk;
import dev.blocklift.chunk.Chunker;
import dev.blocklift.chunk.ConvergentEncryption;
import dev.blocklift.chunk.EncryptedChunk;
import dev.blocklift.chunk.ManifestBuilder;
import dev.blocklift.chunk.Salt;
import dev.blocklift.core.ChunkName;
import dev.blocklift.store.ChunkStore;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Chunk → encrypt → upload, streaming with bounded memory.
 *
 * <p>Design. Three stages joined by two bounds:
 *
 * <ol>
 *   <li>the calling thread reads the device in order ({@link Chunker}); holes are recorded at once,
 *       data chunks go into a bounded queue (back-pressure: reading waits when the workers lag);
 *   <li>{@code workers} platform threads compress and encrypt (CPU-bound: zstd, AES-GCM, SHA-256
 *       and HMAC; docs/chunk-format.md) and record the chunk in the {@link ManifestBuilder}; a name
 *       already seen in this image is a duplicate and is not uploaded twice;
 *   <li>each new name is uploaded on its own virtual thread, at most {@code maxInFlightUploads} at
 *       once (a semaphore the encrypting worker acquires, so it waits rather than piling up
 *       ciphertexts): {@code exists} first (a HEAD on S3: derived images mostly re-use their base's
 *       chunks, so this saves the upload), then {@code putIfAbsent}; a present chunk is {@code
 *       touch}ed so garbage collection's grace period covers it until the manifest is published.
 * </ol>
 *
 * The first failure anywhere stops reading, lets queued work drain without effect, waits for every
 * thread, and is rethrown: nothing is published after a failure. Memory stays below about {@code
 * (queueCapacity + workers + maxInFlightUploads) × chunkSize}.
 */
final class ChunkPipeline {
  private static final Chunk END = Chunk.hole(-1, 0, 0);

  private final ChunkStore store;
  private final Salt salt;
  private final ManifestBuilder manifest;
  private final ConvertOptions options;
  private final ConvertListener listener;

  /** First index of each distinct name: the re-check before publishing re-encrypts from it. */
  final Map<ChunkName, Integer> firstIndex = new ConcurrentHashMap<>();

  final AtomicInteger holes = new AtomicInteger();
  final AtomicInteger newChunks = new AtomicInteger();
  final AtomicInteger present = new AtomicInteger();
  final AtomicInteger duplicates = new AtomicInteger();
  final AtomicLong bytesUploaded = new AtomicLong();
  final AtomicLong dataBytes = new AtomicLong();
  final AtomicLong storedBytes = new AtomicLong();
  final AtomicInteger compressedChunks = new AtomicInteger();

  private final AtomicReference<Throwable> failure = new AtomicReference<>();

  ChunkPipeline(
      ChunkStore store,
      Salt salt,
      ManifestBuilder manifest,
      ConvertOptions options,
      ConvertListener listener) {
    this.store = store;
    this.salt = salt;
    this.manifest = manifest;
    this.options = options;
    this.listener = listener;
  }

  void run(Chunker chunker) throws IOException {
    BlockingQueue<Chunk> queue = new ArrayBlockingQueue<>(options.queueCapacity());
    Semaphore uploadSlots = new Semaphore(options.maxInFlightUploads());
    AtomicInteger threadNumber = new AtomicInteger();
    List<Future<?>> workers = new ArrayList<>();
    try (ExecutorService uploads = Executors.newVirtualThreadPerTaskExecutor();
        ExecutorService encryptors =
            Executors.newFixedThreadPool(
                options.workers(),
                r ->
                    Thread.ofPlatform()
                        .daemon()
                        .name("blocklift-encrypt-" + threadNumber.incrementAndGet())
                        .unstarted(r))) {
      for (int i = 0; i < options.workers(); i++) {
        workers.add(
            encryptors.submit(
                () -> {
                  encryptLoop(queue, uploadSlots, uploads);
                  return null;
                }));
      }
      try {
        for (Chunk c : chunker) {
          if (failure.get() != null) {
            break;
          }
          if (c.isHole()) {
            manifest.hole(c.index());
            holes.incrementAndGet();
            listener.chunkDone(true);
          } else {
            queue.put(c);
          }
        }
      } catch (UncheckedIOException e) {
        fail(e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail(new InterruptedIOException("conversion interrupted"));
      } catch (RuntimeException e) {
        fail(e);
      } finally {
        for (int i = 0; i < options.workers(); i++) {
          putUninterruptibly(queue, END);
        }
      }
      for (Future<?> w : workers) {
        try {
          w.get();
        } catch (Exception e) {
          fail(e);
        }
      }
    } // closing the executors waits for every upload
    rethrow();
  }

  private void encryptLoop(BlockingQueue<Chunk> queue, Semaphore slots, ExecutorService uploads)
      throws InterruptedException {
    while (true) {
      Chunk c = queue.take();
      if (c.index() < 0) { // END
        return;
      }
      if (failure.get() != null) {
        continue; // drain so the reader never blocks on a full queue
      }
      try {
        EncryptedChunk e = ConvergentEncryption.encrypt(salt, c.plaintext(), options.compression());
        dataBytes.addAndGet(c.length());
        storedBytes.addAndGet(e.storedLength());
        if (e.compressed()) {
          compressedChunks.incrementAndGet();
        }
        listener.chunkEncrypted(c.length(), e.storedLength());
        manifest.chunk(c.index(), e.name(), e.key());
        if (firstIndex.putIfAbsent(e.name(), c.index()) != null) {
          duplicates.incrementAndGet();
          listener.chunkDone(false);
          continue;
        }
        slots.acquire();
        try {
          uploads.execute(
              () -> {
                try {
                  upload(e.name(), e.ciphertext());
                } catch (Throwable t) {
                  fail(t);
                } finally {
                  slots.release();
                }
              });
        } catch (RuntimeException rejected) {
          slots.release();
          throw rejected;
        }
      } catch (RuntimeException e) {
        fail(e);
      }
    }
  }

  private void upload(ChunkName name, byte[] ciphertext) throws IOException {
    if (store.exists(name) && store.touch(name)) {
      present.incrementAndGet();
    } else if (store.putIfAbsent(name, ciphertext)) {
      newChunks.incrementAndGet();
      bytesUploaded.addAndGet(ciphertext.length);
    } else {
      present.incrementAndGet(); // stored meanwhile by a concurrent conversion
    }
    listener.chunkDone(false);
  }

  /**
   * Makes sure every distinct chunk is still stored right before the manifest is published (a
   * concurrent garbage collection may have removed a chunk found present), re-encrypting and
   * uploading any that went missing. Encryption is convergent, so the bytes are the same.
   *
   * @return how many chunks had to be uploaded again
   */
  int ensureAllStored(Chunker chunker) throws IOException {
    AtomicInteger repaired = new AtomicInteger();
    Semaphore slots = new Semaphore(options.maxInFlightUploads());
    try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
      for (Map.Entry<ChunkName, Integer> entry : firstIndex.entrySet()) {
        if (failure.get() != null) {
          break;
        }
        try {
          slots.acquire();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("conversion interrupted");
        }
        ex.execute(
            () -> {
              try {
                if (!store.exists(entry.getKey())) {
                  Chunk c = chunker.read(entry.getValue());
                  EncryptedChunk e =
                      ConvergentEncryption.encrypt(salt, c.plaintext(), options.compression());
                  if (!e.name().equals(entry.getKey())) {
                    throw new IllegalStateException(
                        "chunk "
                            + entry.getValue()
                            + " re-encrypted to "
                            + e.name()
                            + ", not "
                            + entry.getKey()
                            + ": the device file changed during the conversion");
                  }
                  store.putIfAbsent(e.name(), e.ciphertext());
                  repaired.incrementAndGet();
                }
              } catch (Throwable t) {
                fail(t);
              } finally {
                slots.release();
              }
            });
      }
    }
    rethrow();
    return repaired.get();
  }

  private void fail(Throwable t) {
    failure.compareAndSet(null, t);
  }

  private void rethrow() throws IOException {
    Throwable t = failure.get();
    if (t == null) {
      return;
    }
    if (t instanceof java.util.concurrent.ExecutionException && t.getCause() != null) {
      t = t.getCause();
    }
    switch (t) {
      case IOException io -> throw io;
      case RuntimeException re -> throw re;
      case Error err -> throw err;
      default -> throw new IOException("conversion failed: " + t, t);
    }
  }

  private static void putUninterruptibly(BlockingQueue<Chunk> queue, Chunk c) {
    boolean interrupted = false;
    while (true) {
      try {
        if (queue.offer(c, 100, TimeUnit.MILLISECONDS)) {
          break;
        }
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
