package dev.blocklift.image.layer;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.function.LongConsumer;

/**
 * Counts and hashes every byte that passes, including skipped ones (skip reads through, so a
 * decompressor or tar reader that skips cannot bypass verification). No mark/reset.
 */
final class HashingInputStream extends FilterInputStream {
  private final MessageDigest digest;
  private final LongConsumer onBytes;
  private long count;
  private byte[] result;

  HashingInputStream(InputStream in, MessageDigest digest, LongConsumer onBytes) {
    super(in);
    this.digest = digest;
    this.onBytes = onBytes;
  }

  @Override
  public int read() throws IOException {
    int b = in.read();
    if (b >= 0) {
      digest.update((byte) b);
      count++;
      onBytes.accept(1);
    }
    return b;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = in.read(b, off, len);
    if (n > 0) {
      digest.update(b, off, n);
      count += n;
      onBytes.accept(n);
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    byte[] buf = new byte[(int) Math.min(Math.max(n, 0), 64 << 10)];
    long done = 0;
    while (done < n) {
      int r = read(buf, 0, (int) Math.min(buf.length, n - done));
      if (r < 0) {
        break;
      }
      done += r;
    }
    return done;
  }

  @Override
  public boolean markSupported() {
    return false;
  }

  @Override
  public synchronized void mark(int readlimit) {}

  @Override
  public synchronized void reset() throws IOException {
    throw new IOException("mark/reset not supported");
  }

  long count() {
    return count;
  }

  /** The digest of every byte read so far; taken once, later calls return the same value. */
  byte[] digest() {
    if (result == null) {
      result = digest.digest();
    }
    return result.clone();
  }
}
