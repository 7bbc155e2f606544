package dev.blocklift.image.layer;

import dev.blocklift.core.CorruptDataException;
import dev.blocklift.core.Digest;
import dev.blocklift.core.Failures;
import dev.blocklift.core.Hex;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * A layer blob's raw bytes as they arrive from the source: counted, hashed, and never more than its
 * descriptor's size. It asks the source for at most one byte beyond that size, and the moment that
 * byte arrives it fails (and keeps failing), so an endless or lying blob costs no more than the
 * descriptor promised. A failure of the source itself becomes a {@link LayerStreamException} naming
 * the byte it happened at. No mark/reset; skipping reads through, so nothing bypasses the digest.
 */
final class BlobInput extends InputStream {
  private final InputStream source;
  private final String layer;
  private final long declared;
  private final String algorithm;
  private final MessageDigest md;
  private long count;
  private boolean tooLong;
  private Digest digest;

  /**
   * @param layer how messages name the layer, e.g. {@code layer 0 (sha256:...)}
   */
  BlobInput(InputStream source, String layer, Digest expected, long declaredSize) {
    this.source = source;
    this.layer = layer;
    this.declared = declaredSize;
    this.algorithm = expected.algorithm();
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
    java.util.Objects.checkFromIndexSize(off, len, b.length);
    if (tooLong) {
      throw tooLong();
    }
    if (digest != null) {
      throw new IllegalStateException(layer + ": blob read after its digest was taken");
    }
    if (len == 0) {
      return 0;
    }
    long room = declared - count;
    int want = (int) Math.min(len, room + 1);
    int n;
    try {
      n = source.read(b, off, want);
    } catch (IOException e) {
      throw LayerStreamException.sourceFailed(
          layer, "reading the blob failed at byte " + count + ": " + Failures.describe(e), e);
    }
    if (n > room) {
      // Deliver the bytes up to the declared size; the next read fails.
      tooLong = true;
      if (room == 0) {
        throw tooLong();
      }
      n = (int) room;
    }
    if (n > 0) {
      md.update(b, off, n);
      count += n;
    }
    return n;
  }

  private CorruptDataException tooLong() {
    return new CorruptDataException(
        layer
            + ": the blob is longer than the "
            + declared
            + " bytes its descriptor says (byte "
            + (declared + 1)
            + " arrived); stopped reading it");
  }

  /** Whether more bytes than the descriptor's size arrived. */
  boolean tooLongSeen() {
    return tooLong;
  }

  /** The message of the too-long failure. */
  String tooLongMessage() {
    return tooLong().getMessage();
  }

  long count() {
    return count;
  }

  long declaredSize() {
    return declared;
  }

  /** Reads the rest of the blob (up to one byte beyond its declared size). */
  void drain() throws IOException {
    byte[] buf = new byte[64 << 10];
    while (read(buf, 0, buf.length) >= 0) {
      // hashing as it goes
    }
  }

  /** The digest of every byte read; taken once (reading after it is a bug). */
  Digest digest() {
    if (digest == null) {
      digest = new Digest(algorithm, Hex.encode(md.digest()));
    }
    return digest;
  }

  @Override
  public void close() throws IOException {
    source.close();
  }
}
