package dev.blocklift.image;

import dev.blocklift.core.Digest;
import dev.blocklift.core.Platform;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A one-layer image whose layer blob is generated on the fly (endless, huge, hostile), with the
 * descriptor the test chooses. Counts the bytes the reader pulled from the blob.
 */
final class SyntheticSource implements ImageSource {
  private final Descriptor layer;
  private final Digest diffId;
  private final Supplier<InputStream> blob;
  private final AtomicLong served = new AtomicLong();

  SyntheticSource(
      String mediaType, Digest digest, long size, Digest diffId, Supplier<InputStream> blob) {
    this.layer = new Descriptor(mediaType, digest, size);
    this.diffId = diffId;
    this.blob = blob;
  }

  /** Bytes read from the blob so far. */
  long served() {
    return served.get();
  }

  @Override
  public ResolvedImage resolve(Platform platform) {
    String config =
        "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
            + "\"diff_ids\":[\""
            + diffId
            + "\"]}}";
    byte[] json = config.getBytes(StandardCharsets.UTF_8);
    return new ResolvedImage(Digest.sha256(json), json, List.of(layer), List.of(diffId));
  }

  @Override
  public InputStream openBlob(Descriptor d) {
    return new FilterInputStream(blob.get()) {
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

  @Override
  public String describe() {
    return "synthetic";
  }

  /** {@code n} zero bytes ({@code Long.MAX_VALUE}: endless, like /dev/zero), generated. */
  static InputStream zeros(long n) {
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
        java.util.Arrays.fill(b, off, off + k, (byte) 0);
        left -= k;
        return k;
      }
    };
  }
}
