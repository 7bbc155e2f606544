package dev.blocklift.image;

import static dev.blocklift.testing.oci.TarEntry.directory;
import static dev.blocklift.testing.oci.TarEntry.file;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.CorruptDataException;
import dev.blocklift.core.Platform;
import dev.blocklift.testing.oci.Compression;
import dev.blocklift.testing.oci.ImageSpec;
import dev.blocklift.testing.oci.Layer;
import dev.blocklift.testing.oci.OciLayoutWriter;
import dev.blocklift.testing.oci.TarEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Digest mismatches, broken streams, lying and absurd sizes: a clear error, never a crash. */
class CorruptLayerTest {
  @TempDir Path tmp;

  private static Layer good() {
    return Layer.of(directory("d/"), file("d/a", "alpha".repeat(1000)), file("d/b", "beta"));
  }

  private CorruptDataException loadFails(Path layout) {
    return assertThrows(CorruptDataException.class, () -> Fixtures.loadSnapshot(ref(layout)));
  }

  private static dev.blocklift.core.ImageRef ref(Path layout) {
    return new dev.blocklift.core.ImageRef.OciLayout(layout, Optional.of("latest"));
  }

  private static void assertMentions(Exception e, String... parts) {
    for (String p : parts) {
      assertTrue(e.getMessage().contains(p), "message lacks \"" + p + "\": " + e.getMessage());
    }
  }

  @Test
  void wrongDiffIdNamesLayerExpectedAndActual() throws Exception {
    String wrong = "sha256:" + "ab".repeat(32);
    Path layout =
        Fixtures.layout(
            tmp.resolve("oci"), ImageSpec.linuxAmd64().diffIdOverride(1, wrong), good(), good());
    CorruptDataException e = loadFails(layout);
    assertMentions(e, "layer 1", "diff_id mismatch", "expected " + wrong, "actual sha256:");
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  void tamperedBlobNamesLayerExpectedAndActual(Compression c) throws Exception {
    OciLayoutWriter w = OciLayoutWriter.create(tmp.resolve("oci"));
    Layer layer = good().compression(c);
    var manifest = w.image(ImageSpec.linuxAmd64(), layer);
    w.tag("latest", manifest);
    w.writeIndex();
    String layerDigest = layerDigest(w, manifest.digest(), 0);
    Path blob = w.blobPath(layerDigest);
    byte[] bytes = Files.readAllBytes(blob);
    bytes[bytes.length / 2] ^= 0x01;
    Files.write(blob, bytes);
    CorruptDataException e = loadFails(w.directory());
    assertMentions(e, "layer 0", "expected " + layerDigest, "actual sha256:");
  }

  @Test
  void blobLongerThanDescriptorIsCorrupt() throws Exception {
    OciLayoutWriter w = OciLayoutWriter.create(tmp.resolve("oci"));
    var manifest = w.image(ImageSpec.linuxAmd64(), good().compression(Compression.PLAIN));
    w.tag("latest", manifest);
    w.writeIndex();
    String layerDigest = layerDigest(w, manifest.digest(), 0);
    Files.write(w.blobPath(layerDigest), new byte[10], java.nio.file.StandardOpenOption.APPEND);
    assertMentions(loadFails(w.directory()), "layer 0", layerDigest);
  }

  static String layerDigest(OciLayoutWriter w, String manifestDigest, int index)
      throws java.io.IOException {
    var m =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(Files.readAllBytes(w.blobPath(manifestDigest)));
    return m.path("layers").get(index).path("digest").asText();
  }

  @ParameterizedTest
  @EnumSource(
      value = Compression.class,
      names = {"GZIP", "ZSTD"})
  void truncatedCompressedStreamIsCorrupt(Compression c) throws Exception {
    Layer l = good().compression(c).mutateBlob(b -> Arrays.copyOf(b, b.length / 2));
    CorruptDataException e = loadFails(Fixtures.layout(tmp.resolve("oci"), l));
    assertMentions(e, "layer 0 (sha256:", "corrupt or truncated");
  }

  @ParameterizedTest
  @EnumSource(
      value = Compression.class,
      names = {"GZIP", "ZSTD"})
  void garbledCompressedStreamIsCorrupt(Compression c) throws Exception {
    Layer l =
        good()
            .compression(c)
            .mutateBlob(
                b -> {
                  byte[] x = b.clone();
                  for (int i = 12; i < Math.min(x.length - 8, 60); i++) {
                    x[i] ^= (byte) 0x5a;
                  }
                  return x;
                });
    CorruptDataException e = loadFails(Fixtures.layout(tmp.resolve("oci"), l));
    assertMentions(e, "layer 0 (sha256:");
  }

  @Test
  void truncatedTarIsCorruptAndNamesTheEntry() throws Exception {
    // The header promises 10,000 bytes; 100 follow and the stream ends (a lying size).
    TarEntry lying = file("d/lying", "x".repeat(100)).withDeclaredSize(10_000);
    Layer l = Layer.of(directory("d/"), lying).withoutEndMarker().compression(Compression.GZIP);
    CorruptDataException e = loadFails(Fixtures.layout(tmp.resolve("oci"), l));
    assertMentions(e, "layer 0", "entry #1 \"d/lying\"", "ends");
  }

  @Test
  void sizeSmallerThanDataDesynchronisesAndIsCaughtByTheChecksum() throws Exception {
    TarEntry lying = file("d/short", "y".repeat(3000)).withDeclaredSize(10);
    Layer l = Layer.of(directory("d/"), lying, file("d/next", "n")).compression(Compression.PLAIN);
    CorruptDataException e = loadFails(Fixtures.layout(tmp.resolve("oci"), l));
    assertMentions(e, "layer 0", "checksum");
  }

  @Test
  void absurdSizeIsCorruptNotAnAllocation() throws Exception {
    TarEntry huge = file("huge", "z").withDeclaredSize(Long.MAX_VALUE / 2);
    Layer l = Layer.of(huge).withoutEndMarker().compression(Compression.ZSTD);
    CorruptDataException e = loadFails(Fixtures.layout(tmp.resolve("oci"), l));
    assertMentions(e, "layer 0", "\"huge\"");
  }

  @Test
  void garbageAfterEntriesIsCorrupt() throws Exception {
    byte[] junk = new byte[512];
    Arrays.fill(junk, (byte) 'J');
    Layer l = good().rawTail(junk).compression(Compression.PLAIN);
    assertMentions(loadFails(Fixtures.layout(tmp.resolve("oci"), l)), "layer 0", "tar header");
  }

  @Test
  void overlongNameIsAClearError() throws Exception {
    Layer l = Layer.of(file("d/" + "n".repeat(300), "x")).compression(Compression.PLAIN);
    assertMentions(
        assertThrows(
            CorruptDataException.class,
            () -> Fixtures.loadSnapshot(ref(Fixtures.layout(tmp.resolve("oci"), l)))),
        "longer than 255 bytes",
        "entry #0");
  }

  @Test
  void contentPassVerifiesDigestsAgain() throws Exception {
    Path layout = Fixtures.layout(tmp.resolve("oci"), good().compression(Compression.PLAIN));
    try (ImageSource source = ImageSources.open(ref(layout))) {
      LoadedImage img = ImageLoader.load(source, Platform.LINUX_AMD64, LoadListener.NONE);
      // Tamper after the load: the second pass must notice.
      var d = img.resolved().layers().get(0).digest();
      Path blob = layout.resolve("blobs/sha256").resolve(d.hex());
      byte[] bytes = Files.readAllBytes(blob);
      bytes[600] ^= 0x01; // inside d/a's data: the tar still parses
      Files.write(blob, bytes);
      CorruptDataException e =
          assertThrows(
              CorruptDataException.class,
              () -> img.content().forEachFile(0, (i, s, in) -> in.readAllBytes()));
      assertMentions(e, "layer 0", "expected " + d);
    }
  }
}
