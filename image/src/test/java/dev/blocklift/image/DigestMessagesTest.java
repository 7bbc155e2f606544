package dev.blocklift.image;

import static dev.blocklift.testing.oci.TarEntry.directory;
import static dev.blocklift.testing.oci.TarEntry.file;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.CorruptDataException;
import dev.blocklift.core.Digest;
import dev.blocklift.core.ImageRef;
import dev.blocklift.testing.oci.Compression;
import dev.blocklift.testing.oci.ImageSpec;
import dev.blocklift.testing.oci.Layer;
import dev.blocklift.testing.oci.OciLayoutWriter;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A digest mismatch names what was checked (the blob digest or the diff_id), the expected and the
 * actual digest; never the digest of empty input, never the blob when only the diff_id is wrong.
 */
class DigestMessagesTest {
  private static final String EMPTY_SHA256 =
      "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

  @TempDir Path tmp;

  private static Layer good() {
    return Layer.of(directory("d/"), file("d/a", "alpha".repeat(1000)), file("d/b", "beta"));
  }

  private static CorruptDataException loadFails(Path layout) {
    return assertThrows(
        CorruptDataException.class,
        () -> Fixtures.loadSnapshot(new ImageRef.OciLayout(layout, Optional.of("latest"))));
  }

  @Test
  void wrongDiffIdWithACorrectBlobBlamesTheDiffId() throws Exception {
    String wrong = "sha256:" + "ab".repeat(32);
    OciLayoutWriter w = OciLayoutWriter.create(tmp.resolve("oci"));
    var manifest = w.image(ImageSpec.linuxAmd64().diffIdOverride(0, wrong), good());
    w.tag("latest", manifest);
    w.writeIndex();
    String blobDigest = CorruptLayerTest.layerDigest(w, manifest.digest(), 0);
    byte[] tar;
    try (InputStream in =
        new GZIPInputStream(new ByteArrayInputStream(Files.readAllBytes(w.blobPath(blobDigest))))) {
      tar = in.readAllBytes();
    }
    String actual = Digest.sha256(tar).toString();

    String m = loadFails(w.directory()).getMessage();
    assertTrue(m.startsWith("layer 0 (" + blobDigest + ") diff_id mismatch"), m);
    assertTrue(m.contains("expected " + wrong + ", actual " + actual), m);
    assertFalse(m.contains("blob digest"), m);
    assertFalse(m.contains(EMPTY_SHA256), m);
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  void tamperedBlobGivesTheBlobsRealDigest(Compression c) throws Exception {
    OciLayoutWriter w = OciLayoutWriter.create(tmp.resolve("oci"));
    var manifest = w.image(ImageSpec.linuxAmd64(), good().compression(c));
    w.tag("latest", manifest);
    w.writeIndex();
    String expected = CorruptLayerTest.layerDigest(w, manifest.digest(), 0);
    Path blob = w.blobPath(expected);
    byte[] bytes = Files.readAllBytes(blob);
    bytes[bytes.length / 2] ^= 0x01;
    Files.write(blob, bytes);
    String actual = Digest.sha256(bytes).toString();

    String m = loadFails(w.directory()).getMessage();
    assertTrue(m.startsWith("layer 0 (" + expected + ") blob digest mismatch"), m);
    assertTrue(m.contains("expected " + expected + ", actual " + actual), m);
    assertFalse(m.contains(EMPTY_SHA256), m);
  }
}
