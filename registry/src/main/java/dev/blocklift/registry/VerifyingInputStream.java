package dev.blocklift.registry;

import dev.blocklift.core.CorruptDataException;
import dev.blocklift.core.Digest;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * Passes bytes through while hashing and counting them; a blob longer than its declared size fails
 * as soon as it overruns, and at the end a wrong size or digest throws {@link CorruptDataException}
 * instead of returning end-of-stream, so a consumer never takes wrong bytes for a complete blob.
 */
final class VerifyingInputStream extends FilterInputStream {
  private final Digest expected;
  private final long size;
  private final String what;
  private final MessageDigest md;
  private long count;
  private boolean verified;

  VerifyingInputStream(InputStream in, Digest expected, long size, String what) {
    super(in);
    this.expected = expected;
    this.size = size;
    this.what = what;
    this.md = expected.newMessageDigest();
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    int n = in.read(b, off, len);
    if (n < 0) {
      verifyAtEnd();
      return -1;
    }
    count += n;
    if (count > size) {
      throw new CorruptDataException(
          what + " is longer than its declared size of " + size + " bytes; refusing it");
    }
    md.update(b, off, n);
    return n;
  }

  private void verifyAtEnd() {
    if (verified) {
      return;
    }
    if (count != size) {
      throw new CorruptDataException(
          what + " ended after " + count + " of its declared " + size + " bytes (truncated)");
    }
    Digest actual = new Digest(expected.algorithm(), dev.blocklift.core.Hex.encode(md.digest()));
    if (!actual.equals(expected)) {
      throw new CorruptDataException(
          what + " has digest " + actual + " but " + expected + " was expected; refusing it");
    }
    verified = true;
  }

  @Override
  public long skip(long n) throws IOException {
    byte[] buf = new byte[(int) Math.min(8192, Math.max(0, n))];
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
  public int available() throws IOException {
    return in.available();
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
}
