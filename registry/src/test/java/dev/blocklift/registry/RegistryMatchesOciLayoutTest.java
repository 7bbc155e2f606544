package dev.blocklift.registry;

import static dev.blocklift.registry.RegistryFixtures.fastSettings;
import static dev.blocklift.registry.RegistryFixtures.open;
import static dev.blocklift.registry.RegistryFixtures.readBlob;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.blocklift.core.ImageRef;
import dev.blocklift.core.Platform;
import dev.blocklift.flatten.FlattenListener;
import dev.blocklift.flatten.FlattenOptions;
import dev.blocklift.flatten.Flattener;
import dev.blocklift.image.Descriptor;
import dev.blocklift.image.ImageLoader;
import dev.blocklift.image.ImageSource;
import dev.blocklift.image.ImageSources;
import dev.blocklift.image.LoadListener;
import dev.blocklift.image.LoadedImage;
import dev.blocklift.image.ResolvedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The same image read from a registry and from its {@code oci:} layout: the same resolved image,
 * the same blob bytes, and, flattened, the same ext4 image byte for byte.
 */
class RegistryMatchesOciLayoutTest {
  @TempDir Path tmp;

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 77})
  void registryAndOciLayoutGiveIdenticalImagesAndFilesystems(long seed) throws Exception {
    LocalRegistry.requireTools();
    SplittableRandom random = new SplittableRandom(seed);
    OciFixture layout = new OciFixture(tmp.resolve("layout"));
    int layers = 1 + random.nextInt(3);
    List<byte[]> tars = new java.util.ArrayList<>();
    for (int i = 0; i < layers; i++) {
      tars.add(OciFixture.randomTar(random, 1 + random.nextInt(6), random.nextInt(2_000_000)));
    }
    OciFixture.Image image = layout.image("amd64", tars, false);
    layout.tag("t", image.manifest());
    try (LocalRegistry registry = LocalRegistry.start(tmp.resolve("registry"))) {
      registry.push(layout.dir(), "t", "cmp/img:t");
      Path fromRegistry = tmp.resolve("registry.ext4");
      Path fromLayout = tmp.resolve("layout.ext4");
      try (ImageSource remote = open("docker://" + registry.host() + "/cmp/img:t", fastSettings());
          ImageSource local =
              ImageSources.open(new ImageRef.OciLayout(layout.dir(), Optional.of("t")))) {
        ResolvedImage r = remote.resolve(Platform.LINUX_AMD64);
        ResolvedImage l = local.resolve(Platform.LINUX_AMD64);
        String msg = "seed " + seed;
        assertEquals(l.manifestDigest(), r.manifestDigest(), msg);
        assertArrayEquals(l.configJson(), r.configJson(), msg);
        assertEquals(l.layers(), r.layers(), msg);
        assertEquals(l.diffIds(), r.diffIds(), msg);
        for (Descriptor d : r.layers()) {
          assertArrayEquals(readBlob(local, d), readBlob(remote, d), msg + " " + d);
        }
        flatten(remote, fromRegistry);
        flatten(local, fromLayout);
      }
      assertEquals(-1L, Files.mismatch(fromRegistry, fromLayout), "seed " + seed);
    }
  }

  private static void flatten(ImageSource source, Path output) throws IOException {
    LoadedImage loaded = ImageLoader.load(source, Platform.LINUX_AMD64, LoadListener.NONE);
    new Flattener()
        .flatten(
            loaded.tree(),
            loaded.content(),
            output,
            FlattenOptions.defaults(),
            FlattenListener.NONE);
  }
}
