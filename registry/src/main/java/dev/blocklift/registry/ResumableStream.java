package dev.blocklift.registry;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * A blob body that survives connection resets and truncation: when a read fails (or the body ends
 * early) it reopens the blob at the current offset, with a {@code Range} request where the registry
 * allows it, and carries on. The opener skips already-read bytes when a server ignores Range, so
 * the bytes handed out are always the blob's bytes in order; {@link VerifyingInputStream} above
 * checks the whole. Failures without progress in between are bounded by the retry policy; a stall
 * is bounded by the read timeout.
 */
final class ResumableStream extends InputStream {
  /** Opens the blob's bytes from {@code offset} on (already retried at the HTTP level). */
  @FunctionalInterface
  interface Opener {
    InputStream open(long offset) throws IOException;
  }

  private static final int MAX_RESUMES = 1000;

  /** Bytes read since the last failure that count as progress and reset the failure count. */
  static final long PROGRESS_RESET = 1 << 20;

  private final Opener opener;
  private final long size;
  private final RetryPolicy retry;
  private final String what;
  private InputStream current;
  private long position;
  private int failuresWithoutProgress;
  private long positionAtLastFailure;
  private int resumes;
  private boolean closed;

  ResumableStream(Opener opener, long size, RetryPolicy retry, String what) throws IOException {
    this.opener = opener;
    this.size = size;
    this.retry = retry;
    this.what = what;
    this.current = opener.open(0);
  }

  /** Resumes done so far (for tests and stats). */
  int resumes() {
    return resumes;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    java.util.Objects.checkFromIndexSize(off, len, b.length);
    if (len == 0) {
      return 0;
    }
    while (true) {
      if (closed) {
        throw new IOException("stream closed: " + what);
      }
      IOException failure;
      try {
        int n = current.read(b, off, len);
        if (n > 0) {
          position += n;
          return n;
        }
        if (n < 0 && position >= size) {
          return -1;
        }
        failure =
            new EOFException("connection closed at byte " + position + " of " + size + " bytes");
      } catch (IOException e) {
        if (Thread.currentThread().isInterrupted()) {
          throw e;
        }
        failure = e;
      }
      if (position - positionAtLastFailure >= PROGRESS_RESET) {
        failuresWithoutProgress = 0;
      }
      positionAtLastFailure = position;
      failuresWithoutProgress++;
      if (failuresWithoutProgress >= retry.maxAttempts() || resumes >= MAX_RESUMES) {
        throw new IOException(
            what
                + " failed at byte "
                + position
                + " of "
                + size
                + " after "
                + failuresWithoutProgress
                + " attempts: "
                + RegistryClient.describe(failure),
            failure);
      }
      closeQuietly(current);
      retry.sleepBefore(failuresWithoutProgress + 1);
      resumes++;
      try {
        current = opener.open(position);
      } catch (IOException e) {
        current = InputStream.nullInputStream();
        throw new IOException(
            what
                + " could not resume at byte "
                + position
                + " of "
                + size
                + ": "
                + RegistryClient.describe(e),
            e);
      }
    }
  }

  private static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException e) {
      // A broken stream being replaced.
    }
  }

  @Override
  public void close() throws IOException {
    if (!closed) {
      closed = true;
      current.close();
    }
  }
}
