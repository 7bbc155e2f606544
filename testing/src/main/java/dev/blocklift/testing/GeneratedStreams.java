package dev.blocklift.testing;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Streams for tests of bounded reads: bytes generated on the fly (no large file on disk), and a
 * count of what a reader actually took.
 */
public final class GeneratedStreams {
  private GeneratedStreams() {}

  /** {@code n} zero bytes ({@code Long.MAX_VALUE}: endless, like /dev/zero), generated. */
  public static InputStream zeros(long n) {
    return new InputStream() {
      long left = n;

      @Override
      public int read() {
        if (left == 0) {
          return -1;
        }
        left--;
        return 0;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (left == 0) {
          return -1;
        }
        int k = (int) Math.min(len, left);
        Arrays.fill(b, off, off + k, (byte) 0);
        left -= k;
        return k;
      }
    };
  }

  /** {@code in}, adding every byte read from it to {@code served}. */
  public static InputStream counted(InputStream in, AtomicLong served) {
    return new FilterInputStream(in) {
      @Override
      public int read() throws IOException {
        int b = in.read();
        if (b >= 0) {
          served.incrementAndGet();
        }
        return b;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n > 0) {
          served.addAndGet(n);
        }
        return n;
      }
    };
  }
}
