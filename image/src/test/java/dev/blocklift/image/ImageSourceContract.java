package dev.blocklift.image;

import static dev.blocklift.testing.oci.TarEntry.directory;
import static dev.blocklift.testing.oci.TarEntry.file;
import static dev.blocklift.testing.oci.TarEntry.hardLink;
import static dev.blocklift.testing.oci.TarEntry.symlink;
import static dev.blocklift.testing.oci.TarEntry.whiteout;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.Digest;
import dev.blocklift.core.Hex;
import dev.blocklift.core.ImageRef;
import dev.blocklift.core.Platform;
import dev.blocklift.testing.TreeSnapshot;
import dev.blocklift.testing.oci.Compression;
import dev.blocklift.testing.oci.ImageSpec;
import dev.blocklift.testing.oci.Layer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract every {@link ImageSource} meets (shipped in the image test-jar: the registry
 * source's test extends it too). A subclass publishes the fixture image in its transport and opens
 * a source for it; the loaded tree must equal the one from an OCI layout of the same layers.
 */
public abstract class ImageSourceContract {
  @TempDir protected Path tmp;

  /** Publishes {@code layers} with {@code spec} in this transport and opens a source on it. */
  protected abstract ImageSource publishAndOpen(Path workDir, ImageSpec spec, List<Layer> layers)
      throws Exception;

  protected static List<Layer> fixtureLayers() {
    return List.of(
        Layer.of(
                directory("etc/"),
                file("etc/os-release", "ID=fixture\n"),
                file("etc/big", "0123456789".repeat(20_000)),
                symlink("etc/link", "os-release"),
                hardLink("etc/hard", "etc/os-release"))
            .compression(Compression.GZIP),
        Layer.of(whiteout("etc/os-release"), file("etc/new", "new\n"))
            .compression(Compression.PLAIN));
  }

  private ImageSource open() throws Exception {
    return publishAndOpen(tmp.resolve("published"), ImageSpec.linuxAmd64(), fixtureLayers());
  }

  @Test
  void resolvesLayersWithDiffIdsAndBlobsMatchTheirDescriptors() throws Exception {
    try (ImageSource source = open()) {
      ResolvedImage r = source.resolve(Platform.LINUX_AMD64);
      assertEquals(2, r.layers().size());
      assertEquals(2, r.diffIds().size());
      for (Descriptor d : r.layers()) {
        MessageDigest md = d.digest().newMessageDigest();
        long n = 0;
        try (InputStream in = source.openBlob(d)) {
          byte[] buf = new byte[1 << 16];
          int k;
          while ((k = in.read(buf)) > 0) {
            md.update(buf, 0, k);
            n += k;
          }
        }
        assertEquals(d.size(), n, "size of " + d.digest());
        assertEquals(d.digest(), new Digest(d.digest().algorithm(), Hex.encode(md.digest())));
      }
    }
  }

  @Test
  void resolvingTwiceGivesTheSameManifestDigest() throws Exception {
    try (ImageSource source = open()) {
      assertEquals(
          source.resolve(Platform.LINUX_AMD64).manifestDigest(),
          source.resolve(Platform.LINUX_AMD64).manifestDigest());
    }
  }

  @Test
  void loadsTheSameTreeAsAnOciLayout() throws Exception {
    Path layout =
        Fixtures.layout(
            tmp.resolve("reference"),
            ImageSpec.linuxAmd64(),
            fixtureLayers().toArray(Layer[]::new));
    TreeSnapshot expected =
        Fixtures.loadSnapshot(new ImageRef.OciLayout(layout, Optional.of("latest")));
    try (ImageSource source = open()) {
      expected.assertSameAs(
          LoadedImageSnapshots.of(
              ImageLoader.load(source, Platform.LINUX_AMD64, LoadListener.NONE)),
          source.describe());
    }
  }

  @Test
  void anUnavailablePlatformIsAClearError() throws Exception {
    try (ImageSource source = open()) {
      BlockliftException e =
          assertThrows(
              BlockliftException.class, () -> source.resolve(Platform.parse("linux/s390x")));
      assertEquals(true, e.getMessage().contains("linux/s390x"), e.getMessage());
    }
  }

  @Test
  void describeNamesTheSource() throws Exception {
    try (ImageSource source = open()) {
      assertEquals(false, source.describe().isBlank());
    }
  }

  /** Helper for subclasses: a layout written by the fixture writer. */
  protected static Path ociLayout(Path dir, ImageSpec spec, List<Layer> layers) throws IOException {
    return Fixtures.layout(dir, spec, layers.toArray(Layer[]::new));
  }
}
