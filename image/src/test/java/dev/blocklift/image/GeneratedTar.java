package dev.blocklift.image;

import dev.blocklift.testing.oci.TarEntry;
import dev.blocklift.testing.oci.TarWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.function.LongFunction;

/**
 * A tar stream generated as it is read, one entry at a time, from a function of the entry's index
 * (null ends the archive): hostile layers of millions of entries cost no disk and no memory.
 */
final class GeneratedTar extends InputStream {
  private final Iterator<InputStream> parts;
  private InputStream current = InputStream.nullInputStream();

  private GeneratedTar(Iterator<InputStream> parts) {
    this.parts = parts;
  }

  /** Entries {@code entry(0)}, {@code entry(1)}, ... until null, then the end marker. */
  static GeneratedTar of(LongFunction<TarEntry> entry) {
    return new GeneratedTar(
        new Iterator<>() {
          long i;
          boolean ended;

          @Override
          public boolean hasNext() {
            return !ended;
          }

          @Override
          public InputStream next() {
            TarEntry e = entry.apply(i++);
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            try {
              if (e == null) {
                ended = true;
                new TarWriter(b).finish();
              } else {
                new TarWriter(b).write(e);
              }
            } catch (IOException x) {
              throw new UncheckedIOException(x);
            }
            return new java.io.ByteArrayInputStream(b.toByteArray());
          }
        });
  }

  /**
   * The raw bytes of a header block (a PAX or GNU record's header, say) with this type and size.
   */
  static byte[] header(char type, long size) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    new TarWriter(b)
        .write(TarEntry.file("././@LongLink", new byte[0]).withType(type).withDeclaredSize(size));
    return b.toByteArray();
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
    while (true) {
      int n = current.read(b, off, len);
      if (n > 0) {
        return n;
      }
      if (!parts.hasNext()) {
        return -1;
      }
      current = parts.next();
    }
  }
}
