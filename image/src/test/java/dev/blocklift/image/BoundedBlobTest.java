package dev.blocklift.image;

import static dev.blocklift.testing.oci.TarEntry.file;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.CorruptDataException;
import dev.blocklift.core.Digest;
import dev.blocklift.core.Platform;
import dev.blocklift.testing.oci.TarWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.SequenceInputStream;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every read of a layer blob is bounded by its descriptor's size: the reader fails as soon as more
 * bytes arrive than the descriptor says, whatever the blob is (endless, or 20 GiB behind a 2 KiB
 * descriptor). The blobs are generated as they are read; nothing large exists anywhere.
 */
class BoundedBlobTest {
  private static final Digest SOME = Digest.sha256(new byte[] {1});
  private static final Duration BOUND = Duration.ofSeconds(20);

  private static void assertBounded(SyntheticSource source, long declared) {
    CorruptDataException e =
        assertTimeoutPreemptively(
            BOUND,
            () ->
                assertThrows(
                    CorruptDataException.class,
                    () -> ImageLoader.load(source, Platform.LINUX_AMD64, LoadListener.NONE)));
    String m = e.getMessage();
    assertTrue(m.startsWith("layer 0 (" + SOME + ")"), m);
    assertTrue(m.contains("longer than the " + declared + " bytes its descriptor says"), m);
    assertTrue(source.served() <= declared + 1, "read " + source.served() + " bytes of the blob");
  }

  @Test
  void endlessUncompressedBlobFailsAtItsDescriptorsSize() {
    long declared = 10_240;
    SyntheticSource source =
        new SyntheticSource(
            MediaTypes.OCI_LAYER,
            SOME,
            declared,
            SOME,
            () -> dev.blocklift.testing.GeneratedStreams.zeros(Long.MAX_VALUE)); // /dev/zero
    assertBounded(source, declared);
  }

  @Test
  void hugeBlobBehindASmallDescriptorIsNotReadToItsEnd() throws Exception {
    long big = 20L << 30;
    ByteArrayOutputStream h = new ByteArrayOutputStream();
    new TarWriter(h).write(file("big", new byte[0]).withDeclaredSize(big));
    byte[] header = h.toByteArray();
    SyntheticSource source =
        new SyntheticSource(
            MediaTypes.OCI_LAYER,
            SOME,
            2048,
            SOME,
            () ->
                new SequenceInputStream(
                    java.util.Collections.enumeration(
                        List.of(
                            new ByteArrayInputStream(header),
                            dev.blocklift.testing.GeneratedStreams.zeros(big)))));
    assertBounded(source, 2048);
  }

  @Test
  void endlessGzipBlobFailsAtItsDescriptorsSize() throws Exception {
    // A gzip member of an endless run of zero blocks compresses ~1000:1; keep producing members.
    ByteArrayOutputStream member = new ByteArrayOutputStream();
    try (var gz = new java.util.zip.GZIPOutputStream(member)) {
      gz.write(new byte[1 << 20]);
    }
    byte[] one = member.toByteArray();
    SyntheticSource source =
        new SyntheticSource(
            MediaTypes.OCI_LAYER_GZIP,
            SOME,
            100_000,
            SOME,
            () ->
                new java.io.InputStream() {
                  long pos;

                  @Override
                  public int read() {
                    return one[(int) (pos++ % one.length)] & 0xff;
                  }

                  @Override
                  public int read(byte[] b, int off, int len) {
                    for (int i = 0; i < len; i++) {
                      b[off + i] = one[(int) (pos++ % one.length)];
                    }
                    return len;
                  }
                });
    assertBounded(source, 100_000);
  }

  @Test
  void manifestLongerThanItsDescriptorIsNotReadToItsEnd(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
    var w = dev.blocklift.testing.oci.OciLayoutWriter.create(tmp.resolve("oci"));
    var manifest =
        w.image(
            dev.blocklift.testing.oci.ImageSpec.linuxAmd64(),
            dev.blocklift.testing.oci.Layer.of(file("a", "x")));
    w.tag("latest", manifest);
    w.writeIndex();
    java.nio.file.Files.write(
        w.blobPath(manifest.digest()), new byte[4096], java.nio.file.StandardOpenOption.APPEND);
    CorruptDataException e =
        assertThrows(
            CorruptDataException.class,
            () ->
                Fixtures.loadSnapshot(
                    new dev.blocklift.core.ImageRef.OciLayout(
                        w.directory(), java.util.Optional.of("latest"))));
    assertTrue(
        e.getMessage().contains("longer than the " + manifest.size() + " bytes its descriptor"),
        e.getMessage());
  }
}
