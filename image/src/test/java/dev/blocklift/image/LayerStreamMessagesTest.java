package dev.blocklift.image;

import static dev.blocklift.testing.oci.TarEntry.directory;
import static dev.blocklift.testing.oci.TarEntry.file;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.CorruptDataException;
import dev.blocklift.core.Digest;
import dev.blocklift.core.ImageRef;
import dev.blocklift.core.Platform;
import dev.blocklift.testing.oci.Compression;
import dev.blocklift.testing.oci.Layer;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every failure of the layer-stream path says what was being read (the layer and its digest, the
 * entry, the byte offset) and why, never "null": decompressors and sources throw exceptions without
 * a message (a truncated gzip stream is a bare EOFException).
 */
class LayerStreamMessagesTest {
  @TempDir Path tmp;

  private static Layer good() {
    return Layer.of(directory("d/"), file("d/a", "alpha".repeat(1000)), file("d/b", "beta"));
  }

  private static void assertDescribes(String m, String digest, String... parts) {
    assertFalse(m.contains("null"), m);
    assertTrue(m.contains("layer 0 (" + digest + ")"), m);
    for (String p : parts) {
      assertTrue(m.contains(p), "lacks \"" + p + "\": " + m);
    }
  }

  private static Descriptor firstLayer(Path layout) throws IOException {
    try (ImageSource s = ImageSources.open(new ImageRef.OciLayout(layout, Optional.of("latest")))) {
      return s.resolve(Platform.LINUX_AMD64).layers().get(0);
    }
  }

  private static String layerDigest(Path layout) throws IOException {
    return firstLayer(layout).digest().toString();
  }

  @ParameterizedTest
  @EnumSource(
      value = Compression.class,
      names = {"GZIP", "ZSTD"})
  void truncatedCompressedStreamSaysWhatAndWhere(Compression c) throws Exception {
    Layer l = good().compression(c).mutateBlob(b -> Arrays.copyOf(b, b.length / 2));
    Path layout = Fixtures.layout(tmp.resolve("oci"), l);
    String m =
        assertThrows(
                CorruptDataException.class,
                () -> Fixtures.loadSnapshot(new ImageRef.OciLayout(layout, Optional.of("latest"))))
            .getMessage();
    assertDescribes(
        m,
        layerDigest(layout),
        c.name().toLowerCase(java.util.Locale.ROOT) + " data is corrupt or truncated",
        "at compressed byte ");
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  void sourceFailingWithoutAMessageSaysWhatAndWhere(Compression c) throws Exception {
    Path layout = Fixtures.layout(tmp.resolve("oci"), good().compression(c));
    String digest = layerDigest(layout);
    ImageSource failing =
        new ForwardingSource(
            ImageSources.open(new ImageRef.OciLayout(layout, Optional.of("latest")))) {
          @Override
          public InputStream openBlob(Descriptor blob) throws IOException {
            InputStream in = super.openBlob(blob);
            if (!blob.digest().equals(Digest.parse(digest))) {
              return in;
            }
            long limit = blob.size() / 2;
            return new FilterInputStream(in) {
              long n;

              @Override
              public int read(byte[] b, int off, int len) throws IOException {
                if (n >= limit) {
                  throw new IOException(); // no message, like many network failures
                }
                int r = in.read(b, off, (int) Math.min(len, limit - n));
                n += Math.max(r, 0);
                return r;
              }
            };
          }
        };
    // Not corrupt data: the source failed. Still the project's own exception, with context.
    BlockliftException e =
        assertThrows(
            BlockliftException.class,
            () -> ImageLoader.load(failing, Platform.LINUX_AMD64, LoadListener.NONE));
    assertFalse(e instanceof CorruptDataException, e.toString());
    String m = e.getMessage();
    long half = firstLayer(layout).size() / 2;
    assertDescribes(m, digest, "reading the blob failed at byte " + half, "IOException");
  }

  /** An image source that forwards to another (tests override what they break). */
  static class ForwardingSource implements ImageSource {
    private final ImageSource delegate;

    ForwardingSource(ImageSource delegate) {
      this.delegate = delegate;
    }

    @Override
    public ResolvedImage resolve(Platform platform) throws IOException {
      return delegate.resolve(platform);
    }

    @Override
    public InputStream openBlob(Descriptor blob) throws IOException {
      return delegate.openBlob(blob);
    }

    @Override
    public String describe() {
      return delegate.describe();
    }

    @Override
    public void close() throws IOException {
      delegate.close();
    }
  }
}
