package dev.blocklift.image.layer;

import dev.blocklift.core.Failures;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.LongSupplier;

/**
 * A decompressor's output whose failures say what broke: a {@link LayerStreamException} naming the
 * compression, the compressed byte reached and the decompressor's reason (a truncated gzip stream
 * throws a bare {@code EOFException} with no message). Failures of the blob itself pass unchanged.
 */
final class DecompressedInput extends FilterInputStream {
  private final String layer;
  private final String format;
  private final LongSupplier compressedPosition;
  private long position;

  DecompressedInput(
      InputStream decompressor, String layer, String format, LongSupplier compressedPosition) {
    super(decompressor);
    this.layer = layer;
    this.format = format;
    this.compressedPosition = compressedPosition;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    try {
      int n = in.read(b, off, len);
      if (n > 0) {
        position += n;
      }
      return n;
    } catch (LayerStreamException e) {
      throw e;
    } catch (IOException e) {
      throw failed(e);
    }
  }

  @Override
  public long skip(long n) throws IOException {
    try {
      long s = in.skip(n);
      position += s;
      return s;
    } catch (LayerStreamException e) {
      throw e;
    } catch (IOException e) {
      throw failed(e);
    }
  }

  private LayerStreamException failed(IOException e) {
    return LayerStreamException.corrupt(
        layer,
        format
            + " data is corrupt or truncated at compressed byte "
            + compressedPosition.getAsLong()
            + " (uncompressed byte "
            + position
            + "): "
            + Failures.describe(e),
        e);
  }
}
