package dev.blocklift.convert;

import dev.blocklift.chunk.ChunkKey;
import dev.blocklift.chunk.ChunkSize;
import dev.blocklift.chunk.Chunker;
import dev.blocklift.chunk.ConvergentEncryption;
import dev.blocklift.chunk.EncryptedChunk;
import dev.blocklift.chunk.ManifestBuilder;
import dev.blocklift.chunk.Salt;
import dev.blocklift.core.ChunkName;
import dev.blocklift.store.ChunkBatch;
import dev.blocklift.store.ChunkStore;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32C;

/**
 * Read → (compress +) encrypt → upload, streaming with bounded memory, while the device is still
 * being written.
 *
 * <p>Design. Four stages joined by two bounds:
 *
 * <ol>
 *   <li>one reader thread reads the device in index order. While the flattener writes it, it reads
 *       only chunks inside the range the flattener reported final ({@link #finalRange}: file data
 *       streams in at increasing offsets, metadata comes last, above it); once the device is
 *       {@linkplain #complete complete} it reads every other chunk, and reads the early ones again
 *       to compare a CRC-32C (a chunk changed after all is redone, so a broken promise costs time,
 *       never a wrong manifest). Holes are recorded at once, data chunks go into a bounded queue
 *       (back-pressure: the reader waits when the workers lag; the flattener never waits);
 *   <li>{@code workers} platform threads (one per core by default) derive each chunk's key
 *       (SHA-256, cheap) and, unless the previous manifest of this name already has that key
 *       ({@link PriorChunks}), compress and encrypt it (zstd, AES-GCM, HMAC, SHA-256: the CPU-bound
 *       part; docs/chunk-format.md). A name already seen in this image is a duplicate, not uploaded
 *       twice;
 *   <li>each new name is uploaded on its own virtual thread, at most {@code maxInFlightUploads} at
 *       once (a semaphore the worker acquires, so it waits rather than piling up ciphertexts):
 *       {@link ChunkBatch#reuse} first (a derived image mostly re-uses its base's chunks, and that
 *       check is a stat or a HEAD), else {@link ChunkBatch#putIfAbsent};
 *   <li>a chunk known from the previous manifest is confirmed the same way on a virtual thread (it
 *       holds its plaintext meanwhile, under the same semaphore); if the store lost it, that thread
 *       encrypts and uploads it.
 * </ol>
 *
 * Determinism: a chunk's name and key depend on its bytes alone, and the table is indexed by chunk,
 * so the manifest is the same whatever the interleaving and the number of threads.
 *
 * <p>The first failure anywhere stops reading, lets queued work drain without effect, waits for
 * every thread, and is rethrown: nothing is published after a failure. Memory stays below about
 * {@code (queueCapacity + workers + maxInFlightUploads + 1) × chunkSize}, plus the table (tens of
 * bytes per chunk).
 */
final class ChunkPipeline implements AutoCloseable {
  private final ChunkStore store;
  private final ChunkBatch batch;
  private final Salt salt;
  private final ConvertOptions options;
  private final ConvertListener listener;
  private final PriorChunks prior;
  private final int chunkSize;

  final ChunkTable table = new ChunkTable();

  /** Distinct names handed to an upload (or confirmed), for dedup within the image. */
  private final Map<ChunkName, Boolean> seen = new ConcurrentHashMap<>();

  final AtomicInteger newChunks = new AtomicInteger();
  final AtomicInteger present = new AtomicInteger();
  final AtomicLong bytesUploaded = new AtomicLong();

  /** Chunks read before the device was complete that had changed by the end (expected: 0). */
  final AtomicInteger redone = new AtomicInteger();

  /** Chunks whose key the previous manifest had, and whose stored copy was confirmed. */
  final AtomicInteger reused = new AtomicInteger();

  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final BlockingQueue<Work> queue;
  private final Semaphore slots;
  private final ExecutorService uploads = Executors.newVirtualThreadPerTaskExecutor();
  private final List<Thread> threads = new ArrayList<>();

  // Device state, guarded by `this` for waits; volatile for the reader's fast path.
  private volatile FileChannel device;
  private volatile long finalFrom = -1;
  private volatile long finalTo = -1;
  private volatile long deviceSize = -1;
  private volatile boolean stopped;
  private int chunkCount = -1;
  private boolean finished;

  /** One chunk to encrypt; a null plaintext ends a worker. */
  @SuppressWarnings("ArrayRecordComponent") // the plaintext is handed over, not shared
  private record Work(int index, int generation, byte[] plaintext) {}

  private static final Work END = new Work(-1, 0, null);

  ChunkPipeline(
      ChunkStore store,
      ChunkBatch batch,
      Salt salt,
      ConvertOptions options,
      ConvertListener listener,
      PriorChunks prior) {
    this.store = store;
    this.batch = batch;
    this.salt = salt;
    this.options = options;
    this.listener = listener;
    this.prior = prior;
    this.chunkSize = options.chunkSize().bytes();
    this.queue = new ArrayBlockingQueue<>(options.queueCapacity());
    this.slots = new Semaphore(options.maxInFlightUploads());
  }

  /** Starts the reader and the workers; they wait for {@link #open}. */
  void start() {
    threads.add(Thread.ofPlatform().daemon().name("blocklift-chunk-reader").unstarted(this::read));
    for (int i = 1; i <= options.workers(); i++) {
      threads.add(
          Thread.ofPlatform().daemon().name("blocklift-encrypt-" + i).unstarted(this::encrypt));
    }
    threads.forEach(Thread::start);
  }

  /** The device file is open for reading (it may still be being written). */
  synchronized void open(FileChannel channel) {
    device = channel;
    notifyAll();
  }

  /** Bytes {@code [from, to)} of the device are final (from the flattener's thread, often). */
  void finalRange(long from, long to) {
    long before = finalTo;
    finalFrom = from;
    finalTo = to;
    if (before < 0 || to / chunkSize > before / chunkSize) {
      synchronized (this) {
        notifyAll();
      }
    }
  }

  /** The device is complete, {@code size} bytes: read the rest. */
  synchronized void complete(long size) {
    deviceSize = size;
    chunkCount = options.chunkSize().chunkCount(size);
    notifyAll();
  }

  int chunkCount() {
    return chunkCount;
  }

  /**
   * Waits for every chunk to be recorded and every upload to finish; rethrows the first failure.
   */
  void finish() throws IOException {
    join();
    finished = true;
    rethrow();
  }

  private void join() throws IOException {
    boolean interrupted = false;
    for (Thread t : threads) {
      while (true) {
        try {
          t.join();
          break;
        } catch (InterruptedException e) {
          interrupted = true;
          stop(new InterruptedIOException("conversion interrupted"));
        }
      }
    }
    uploads.close(); // waits for every upload
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void stop(Throwable t) {
    failure.compareAndSet(null, t);
    stopped = true;
    synchronized (this) {
      notifyAll();
    }
  }

  /** Stops and waits for everything if {@link #finish} was not reached (a failed flatten). */
  @Override
  public void close() throws IOException {
    if (!finished) {
      stop(new IOException("conversion stopped"));
      join();
      finished = true;
    }
  }

  // --- the reader ---

  private void read() {
    try {
      readAll();
    } catch (Throwable t) {
      stop(t);
    } finally {
      for (int i = 0; i < options.workers(); i++) {
        putUninterruptibly(END);
      }
    }
  }

  private void readAll() throws IOException, InterruptedException {
    FileChannel ch = awaitDevice();
    if (ch == null) {
      return;
    }
    BitSet early = new BitSet();
    int[] earlyCrc = new int[0];
    int next = -1;
    byte[] spare = null;
    // While the device is being written: the chunks inside the final range, in order.
    while (true) {
      long size;
      long to;
      synchronized (this) {
        while (!stopped && deviceSize < 0 && (next < 0 || finalTo / chunkSize <= next)) {
          if (next < 0 && finalFrom >= 0) {
            next = (int) Math.ceilDiv(finalFrom, chunkSize);
            continue;
          }
          wait();
        }
        size = deviceSize;
        to = finalTo;
      }
      if (stopped) {
        return;
      }
      if (size >= 0) {
        break;
      }
      int end = (int) (to / chunkSize);
      for (; next < end && !stopped; next++) {
        byte[] buf = spare != null ? spare : new byte[chunkSize];
        spare = null;
        readFinal(ch, (long) next * chunkSize, buf, chunkSize);
        if (next >= earlyCrc.length) {
          earlyCrc = java.util.Arrays.copyOf(earlyCrc, Math.max(64, next * 2));
        }
        earlyCrc[next] = crc(buf, chunkSize);
        early.set(next);
        if (Chunker.isZero(buf, 0, chunkSize)) {
          spare = buf;
          hole(next, 0);
        } else {
          queue.put(new Work(next, 0, buf));
        }
      }
    }
    // Complete: every other chunk, and the early ones again to confirm they did not change.
    ChunkSize cs = options.chunkSize();
    byte[] check = new byte[chunkSize];
    for (int i = 0; i < chunkCount && !stopped; i++) {
      int length = cs.lengthOf(i, deviceSize);
      long offset = cs.offsetOf(i);
      if (early.get(i)) {
        readFully(ch, offset, check, length);
        if (length == chunkSize && crc(check, length) == earlyCrc[i]) {
          continue;
        }
        redone.incrementAndGet();
        submit(i, 1, java.util.Arrays.copyOf(check, length));
        continue;
      }
      byte[] buf = spare != null && spare.length == length ? spare : new byte[length];
      spare = null;
      readFully(ch, offset, buf, length);
      if (Chunker.isZero(buf, 0, length)) {
        spare = buf;
        hole(i, 0);
      } else {
        queue.put(new Work(i, 0, buf));
      }
    }
  }

  private void submit(int index, int generation, byte[] plaintext) throws InterruptedException {
    if (Chunker.isZero(plaintext, 0, plaintext.length)) {
      hole(index, generation);
    } else {
      queue.put(new Work(index, generation, plaintext));
    }
  }

  private void hole(int index, int generation) {
    table.hole(index, generation);
    listener.chunkDone(true);
  }

  private synchronized FileChannel awaitDevice() throws InterruptedException {
    while (device == null && !stopped) {
      wait();
    }
    return stopped ? null : device;
  }

  private static int crc(byte[] b, int length) {
    CRC32C c = new CRC32C();
    c.update(b, 0, length);
    return (int) c.getValue();
  }

  /**
   * Reads a final range of a device still being written: the flattener leaves zero blocks
   * unwritten, so the file may not reach the range's end yet, and what it lacks is zeros.
   */
  private static void readFinal(FileChannel ch, long position, byte[] buf, int length)
      throws IOException {
    ByteBuffer bb = ByteBuffer.wrap(buf, 0, length);
    while (bb.hasRemaining()) {
      if (ch.read(bb, position + bb.position()) < 0) {
        java.util.Arrays.fill(buf, bb.position(), length, (byte) 0);
        return;
      }
    }
  }

  private static void readFully(FileChannel ch, long position, byte[] buf, int length)
      throws IOException {
    ByteBuffer bb = ByteBuffer.wrap(buf, 0, length);
    while (bb.hasRemaining()) {
      int n = ch.read(bb, position + bb.position());
      if (n < 0) {
        throw new EOFException(
            "device image shrank while chunking: no bytes at offset " + (position + bb.position()));
      }
    }
  }

  // --- the workers ---

  private void encrypt() {
    try {
      while (true) {
        Work w = queue.take();
        if (w.plaintext() == null) {
          return;
        }
        if (stopped) {
          continue; // drain so the reader never blocks on a full queue
        }
        try {
          process(w);
        } catch (Throwable t) {
          stop(t);
        }
      }
    } catch (InterruptedException e) {
      stop(new InterruptedIOException("conversion interrupted"));
    }
  }

  private void process(Work w) throws InterruptedException {
    byte[] p = w.plaintext();
    ChunkKey key = ConvergentEncryption.deriveKey(salt, p, 0, p.length);
    Optional<ChunkName> known = prior.lookup(key);
    slots.acquire();
    try {
      if (known.isPresent()) {
        ChunkName name = known.get();
        uploads.execute(() -> inSlot(() -> confirmOrEncrypt(w, key, name)));
      } else {
        EncryptedChunk e =
            ConvergentEncryption.encrypt(salt, key, p, 0, p.length, options.compression());
        if (!record(w, e)) {
          slots.release();
          return;
        }
        uploads.execute(() -> inSlot(() -> upload(e.name(), e.ciphertext())));
      }
    } catch (RuntimeException e) {
      slots.release();
      throw e;
    }
  }

  /** Records an encrypted chunk; true if its name is new in this image (so it needs uploading). */
  private boolean record(Work w, EncryptedChunk e) {
    table.chunk(
        w.index(), w.generation(), e.name(), e.key(), w.plaintext().length, e.storedLength());
    listener.chunkEncrypted(w.plaintext().length, e.storedLength());
    if (seen.putIfAbsent(e.name(), Boolean.TRUE) != null) {
      listener.chunkDone(false); // a duplicate
      return false;
    }
    return true;
  }

  @FunctionalInterface
  private interface Task {
    void run() throws Exception;
  }

  private void inSlot(Task task) {
    try {
      if (!stopped) {
        task.run();
      }
    } catch (Throwable t) {
      stop(t);
    } finally {
      slots.release();
    }
  }

  private void upload(ChunkName name, byte[] ciphertext) throws IOException {
    if (batch.reuse(name, ciphertext.length) >= 0) {
      present.incrementAndGet();
    } else if (batch.putIfAbsent(name, ciphertext)) {
      newChunks.incrementAndGet();
      bytesUploaded.addAndGet(ciphertext.length);
    } else {
      present.incrementAndGet(); // stored meanwhile by a concurrent conversion
    }
    listener.chunkDone(false);
  }

  /** A chunk the previous manifest had: confirm the store holds it as wanted, else encrypt it. */
  private void confirmOrEncrypt(Work w, ChunkKey key, ChunkName name) throws IOException {
    int length = w.plaintext().length;
    long stored = batch.reusePublished(name, prior.publishedBy());
    if (stored >= 0 && prior.matchesSetting(length, stored)) {
      reused.incrementAndGet();
      table.chunk(w.index(), w.generation(), name, key, length, (int) stored);
      listener.chunkEncrypted(length, (int) stored);
      if (seen.putIfAbsent(name, Boolean.TRUE) == null) {
        present.incrementAndGet();
      }
      listener.chunkDone(false);
      return;
    }
    // Lost meanwhile, or stored otherwise than this conversion stores it: the full path, on this
    // (virtual) thread, which is rare.
    EncryptedChunk e =
        ConvergentEncryption.encrypt(salt, key, w.plaintext(), 0, length, options.compression());
    if (record(w, e)) {
      upload(e.name(), e.ciphertext());
    }
  }

  // --- after the pipeline ---

  /**
   * Makes sure every distinct chunk is still stored right before the manifest is published (a
   * concurrent garbage collection may have removed a chunk found present), re-encrypting and
   * uploading any that went missing. Encryption is convergent, so the bytes are the same; the key
   * is checked against the device (a name may differ only for a chunk taken from the previous
   * manifest, written by another zstd version).
   *
   * @return how many chunks had to be uploaded again
   */
  int ensureAllStored() throws IOException {
    AtomicInteger repaired = new AtomicInteger();
    Semaphore s = new Semaphore(options.maxInFlightUploads());
    AtomicReference<Throwable> error = new AtomicReference<>();
    FileChannel ch = device;
    ChunkSize cs = options.chunkSize();
    try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
      for (Map.Entry<ChunkName, Integer> entry : table.distinct(chunkCount).entrySet()) {
        if (error.get() != null) {
          break;
        }
        try {
          s.acquire();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("conversion interrupted");
        }
        ex.execute(
            () -> {
              try {
                ChunkName name = entry.getKey();
                if (store.exists(name)) {
                  return;
                }
                int index = entry.getValue();
                byte[] p = new byte[cs.lengthOf(index, deviceSize)];
                readFully(ch, cs.offsetOf(index), p, p.length);
                ChunkKey key = ConvergentEncryption.deriveKey(salt, p, 0, p.length);
                if (!key.equals(table.key(index))) {
                  throw new IllegalStateException(
                      "chunk "
                          + index
                          + " changed since it was encrypted: the device file changed during the"
                          + " conversion");
                }
                EncryptedChunk e =
                    ConvergentEncryption.encrypt(salt, key, p, 0, p.length, options.compression());
                batch.putIfAbsent(e.name(), e.ciphertext());
                if (!e.name().equals(name)) {
                  table.rename(name, e.name(), e.storedLength());
                }
                repaired.incrementAndGet();
              } catch (Throwable t) {
                error.compareAndSet(null, t);
              } finally {
                s.release();
              }
            });
      }
    }
    if (error.get() != null) {
      failure.compareAndSet(null, error.get());
      rethrow();
    }
    return repaired.get();
  }

  /** Records every chunk into {@code builder}. */
  void copyTo(ManifestBuilder builder) {
    table.copyTo(builder, chunkCount);
  }

  ChunkTable.Totals totals() {
    return table.totals(chunkCount);
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

  private void putUninterruptibly(Work w) {
    boolean interrupted = false;
    while (true) {
      try {
        if (queue.offer(w, 100, TimeUnit.MILLISECONDS)) {
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
