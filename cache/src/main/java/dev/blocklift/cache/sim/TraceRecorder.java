package dev.blocklift.cache.sim;

import dev.blocklift.core.BlockliftException;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Records a live chunk-access trace in the {@link TraceFormat} the {@link Simulator} replays: one
 * {@code CHUNK WEIGHT} line per access, in the order accesses happen. Safe for concurrent
 * recorders; lines are buffered and written on {@link #flush} or {@link #close}.
 *
 * <p>A recorder never fails the access it records: a write error is kept and rethrown by {@link
 * #close}, so a full disk loses the trace, not the read.
 */
public final class TraceRecorder implements AutoCloseable {
  private final Path file;
  private final BufferedWriter out;
  private final AtomicLong accesses = new AtomicLong();
  private IOException failure;
  private boolean closed;

  private TraceRecorder(Path file, BufferedWriter out) {
    this.file = file;
    this.out = out;
  }

  /**
   * Creates (or truncates) {@code file} and writes the header comment.
   *
   * @param name what is traced, for the header (e.g. the command and image)
   */
  public static TraceRecorder create(Path file, String name) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null && !Files.isDirectory(parent)) {
      throw new BlockliftException(
          "trace file " + file + ": directory " + parent + " does not exist; create it first");
    }
    BufferedWriter w =
        Files.newBufferedWriter(
            file,
            StandardCharsets.UTF_8,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE);
    w.write("# blocklift chunk-access trace: " + name.replace('\n', ' ') + "\n");
    return new TraceRecorder(file, w);
  }

  public Path file() {
    return file;
  }

  /** Accesses recorded so far. */
  public long accesses() {
    return accesses.get();
  }

  /**
   * Records one access of chunk {@code id} (a token without spaces, usually the chunk name) of
   * {@code weight} bytes.
   */
  public void record(String id, int weight) {
    if (id.isEmpty() || id.chars().anyMatch(Character::isWhitespace)) {
      throw new IllegalArgumentException("trace chunk id must be one token, got \"" + id + "\"");
    }
    if (weight <= 0) {
      throw new IllegalArgumentException("trace weight must be positive, got " + weight);
    }
    synchronized (this) {
      if (closed || failure != null) {
        return;
      }
      try {
        out.write(id);
        out.write(' ');
        out.write(Integer.toString(weight));
        out.write('\n');
        accesses.incrementAndGet();
      } catch (IOException e) {
        failure = e;
      }
    }
  }

  /** Writes buffered lines to the file. */
  public synchronized void flush() throws IOException {
    if (failure != null) {
      throw new UncheckedIOException("trace " + file + " could not be written", failure);
    }
    if (!closed) {
      out.flush();
    }
  }

  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      out.close();
    } catch (IOException e) {
      if (failure == null) {
        failure = e;
      }
    }
    if (failure != null) {
      throw new IOException(
          "trace " + file + " could not be written: " + failure.getMessage(), failure);
    }
  }
}
