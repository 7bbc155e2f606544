package dev.blocklift.flatten;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ByteSize;
import dev.blocklift.core.ImageRef;
import dev.blocklift.core.Platform;
import dev.blocklift.image.ImageSource;
import dev.blocklift.image.ImageSources;
import dev.blocklift.image.LimitExceededException;
import dev.blocklift.image.LoadListener;
import dev.blocklift.testing.oci.Compression;
import dev.blocklift.testing.oci.ImageSpec;
import dev.blocklift.testing.oci.Layer;
import dev.blocklift.testing.oci.OciLayoutWriter;
import dev.blocklift.testing.oci.TarEntry;
import dev.blocklift.testing.oci.TarWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a layer can make the flattener do is bounded: a tiny layout with a huge GNU long name fails
 * at once (it made a 128 GiB device), file data beyond the device size limit fails before it is
 * read, an image whose metadata needs a larger device than allowed fails when planned. Nothing is
 * left behind.
 */
class FlattenLimitsTest {
  private static final Duration BOUND = Duration.ofSeconds(30);

  @TempDir Path tmp;

  private <T extends Throwable> T flattenFails(
      Class<T> type, ImageSource source, FlattenOptions options) throws Exception {
    Path out = tmp.resolve("out.img");
    T e =
        assertTimeoutPreemptively(
            BOUND,
            () ->
                assertThrows(
                    type,
                    () ->
                        new Flattener()
                            .flatten(
                                source,
                                Platform.LINUX_AMD64,
                                out,
                                options,
                                LoadListener.NONE,
                                FlattenListener.NONE)));
    assertFalse(Files.exists(out), "no output after a failure");
    try (var s = Files.list(tmp)) {
      assertTrue(
          s.noneMatch(p -> p.getFileName().toString().contains("blocklift-partial")),
          "no partial file");
    }
    return e;
  }

  private static void assertMentions(Throwable e, String... parts) {
    for (String p : parts) {
      assertTrue(e.getMessage().contains(p), "lacks \"" + p + "\": " + e.getMessage());
    }
  }

  @Test
  void tinyLayoutWithAHugeGnuLongNameFailsAtOnce() throws Exception {
    // 6 MiB of "a/a/a/..." gzips to a few KiB; before the limits it made a 128 GiB device.
    Layer l =
        Layer.of(TarEntry.file("a/".repeat(3 << 20) + "f", "x").withGnuLongNames())
            .compression(Compression.GZIP);
    Path layout = tmp.resolve("oci");
    OciLayoutWriter w = OciLayoutWriter.create(layout);
    w.tag("latest", w.image(ImageSpec.linuxAmd64(), l));
    w.writeIndex();
    try (ImageSource source =
        ImageSources.open(new ImageRef.OciLayout(layout, Optional.of("latest")))) {
      LimitExceededException e =
          flattenFails(LimitExceededException.class, source, FlattenOptions.defaults());
      assertMentions(e, "layer 0", "GNU long name of 6291458 bytes", "maxHeaderBytes = 1048576");
    }
  }

  /** A tar with one file of {@code size} zero bytes, generated. */
  private static Supplier<InputStream> oneZeroFile(long size) {
    return () -> {
      ByteArrayOutputStream h = new ByteArrayOutputStream();
      try {
        new TarWriter(h).write(TarEntry.file("big", new byte[0]).withDeclaredSize(size));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      byte[] trailer = new byte[(int) ((512 - size % 512) % 512) + 1024];
      return new SequenceInputStream(
          java.util.Collections.enumeration(
              List.of(
                  new ByteArrayInputStream(h.toByteArray()),
                  dev.blocklift.testing.GeneratedStreams.zeros(size),
                  new ByteArrayInputStream(trailer))));
    };
  }

  @Test
  void fileDataBeyondTheDeviceLimitFailsBeforeItIsRead() throws Exception {
    GeneratedImage img = GeneratedImage.unverified(oneZeroFile(1L << 30));
    LimitExceededException e =
        flattenFails(
            LimitExceededException.class,
            img,
            FlattenOptions.defaults().withMaxDeviceSize(ByteSize.ofMiB(64)));
    assertMentions(
        e,
        "layer 0",
        "entry #0 \"big\"",
        "file data of 1073741824 bytes",
        "FlattenOptions.maxDeviceSize = 67108864");
    assertTrue(img.served() < 16 << 20, "read " + img.served() + " bytes of a 1 GiB layer");
  }

  @Test
  void imageNeedingALargerDeviceThanAllowedFailsWhenPlanned() throws Exception {
    // 60 MiB of data fits under 64 MiB, but not with the metadata region and headroom.
    GeneratedImage img = GeneratedImage.of(List.of(oneZeroFile(60L << 20)));
    LimitExceededException e =
        flattenFails(
            LimitExceededException.class,
            img,
            FlattenOptions.defaults().withMaxDeviceSize(ByteSize.ofMiB(64)));
    assertMentions(e, "a device for ", "FlattenOptions.maxDeviceSize = 67108864");
  }

  @Test
  void whatExt4CannotHoldIsTheProjectsOwnError() throws Exception {
    // An xattr outside ext4's namespaces: a property of the image, not an IllegalArgumentException.
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    TarWriter w = new TarWriter(tar);
    w.write(TarEntry.file("f", "x").withXattr("bogus.name", new byte[] {1}));
    w.finish();
    byte[] bytes = tar.toByteArray();
    GeneratedImage img = GeneratedImage.of(List.of(() -> new ByteArrayInputStream(bytes)));
    BlockliftException e = flattenFails(BlockliftException.class, img, FlattenOptions.defaults());
    assertMentions(e, "generated image cannot be written as ext4", "bogus.name");
  }

  @Test
  void optionsAreValidated() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> FlattenOptions.defaults().withMaxDeviceSize(ByteSize.ofGiB(4096)));
    assertMentions(e, "maximum device size", "2 TiB");
  }
}
