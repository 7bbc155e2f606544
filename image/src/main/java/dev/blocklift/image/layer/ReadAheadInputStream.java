package dev.blocklift.image.layer;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Reads its source on a thread of its own, a few blocks ahead of the caller, so that inflating a
 * layer (the single largest cost of a flatten: zlib runs at ~130 MB/s of output) overlaps with
 * parsing the tar and writing the files on the caller's thread.
 *
 * <p>Ordering and failures are exactly those of reading the source directly: the bytes come in
 * order, and a failure of the source surfaces at the byte where it happened (the bytes read before
 * it are delivered first), so an error still names the tar entry it broke. Each block also carries
 * the value of {@code progress} (e.g. compressed bytes read) at the time it was read, so that the
 * caller can report progress on its own thread ({@link #progress()}).
 *
 * <p>{@link #stop()} makes the reader thread quit after its current read and waits for it, so the
 * caller may then touch what the thread was reading (to diagnose a failure). {@link #close()} stops
 * the thread but does not close the source; its owner does.
 */
final class ReadAheadInputStream extends InputStream {
  static final int BLOCK = 256 << 10;
  static final int DEPTH = 4;

  @SuppressWarnings("ArrayRecordComponent") // a private hand-off; the array is never shared
  private record Block(byte[] data, int length, long progress, Throwable failure) {
    boolean end() {
      return length < 0;
    }
  }

  private final InputStream source;
  private final LongSupplier progressSource;
  private final BlockingQueue<Block> ready = new ArrayBlockingQueue<>(DEPTH);
  private final Thread reader;
  private volatile boolean stopping;
  private Block current;
  private int position;
  private long progress;
  private boolean finished;

  ReadAheadInputStream(InputStream source, LongSupplier progress, ThreadFactory threads) {
    this.source = source;
    this.progressSource = progress;
    this.reader = threads.newThread(this::readAll);
    reader.start();
  }

  /** Platform daemon threads: the work is CPU-bound inflating, not waiting. */
  static ThreadFactory daemonThreads(String name) {
    return Thread.ofPlatform().daemon().name(name).factory();
  }

  private void readAll() {
    byte[] buffer = new byte[BLOCK];
    int filled = 0;
    try {
      while (!stopping) {
        int n = source.read(buffer, filled, BLOCK - filled);
        if (n < 0) {
          if (filled > 0) {
            hand(new Block(buffer, filled, progressSource.getAsLong(), null));
          }
          hand(new Block(null, -1, progressSource.getAsLong(), null));
          return;
        }
        filled += n;
        if (filled == BLOCK) {
          hand(new Block(buffer, filled, progressSource.getAsLong(), null));
          buffer = new byte[BLOCK];
          filled = 0;
        }
      }
    } catch (IOException | RuntimeException | Error e) {
      try {
        if (filled > 0) {
          hand(new Block(buffer, filled, progressSource.getAsLong(), null));
        }
        hand(new Block(null, -1, progressSource.getAsLong(), e));
      } catch (InterruptedException stop) {
        Thread.currentThread().interrupt();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Queues a block, giving up only when the consumer stopped. */
  private void hand(Block block) throws InterruptedException {
    while (!stopping) {
      if (ready.offer(block, 50, TimeUnit.MILLISECONDS)) {
        return;
      }
    }
  }

  /** The progress value that goes with the last byte returned so far. */
  long progress() {
    return progress;
  }

  private boolean advance() throws IOException {
    if (finished) {
      return false;
    }
    if (current != null && position < current.length()) {
      return true;
    }
    if (stopping) {
      throw new IOException("layer stream closed");
    }
    Block next;
    try {
      next = ready.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while reading a layer");
    }
    progress = next.progress();
    if (next.end()) {
      finished = true;
      current = null;
      switch (next.failure()) {
        case null -> {
          return false;
        }
        case IOException e -> throw e;
        case RuntimeException e -> throw e;
        case Error e -> throw e;
        default -> throw new IOException(next.failure());
      }
    }
    current = next;
    position = 0;
    return true;
  }

  @Override
  public int read() throws IOException {
    if (!advance()) {
      return -1;
    }
    return current.data()[position++] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    java.util.Objects.checkFromIndexSize(off, len, b.length);
    if (len == 0) {
      return 0;
    }
    if (!advance()) {
      return -1;
    }
    int n = Math.min(len, current.length() - position);
    System.arraycopy(current.data(), position, b, off, n);
    position += n;
    return n;
  }

  @Override
  public int available() {
    return current == null ? 0 : current.length() - position;
  }

  /** Makes the reader thread quit after its current read, and waits (bounded) for it to end. */
  void stop() {
    close();
    awaitReader();
  }

  /** Signals the reader thread to quit without waiting; the source's owner closes the source. */
  @Override
  public void close() {
    stopping = true;
    ready.clear();
  }

  /** Waits (bounded) for the reader thread after {@link #close()} and the source were closed. */
  void awaitReader() {
    try {
      reader.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
