package dev.blocklift.registry;

import static dev.blocklift.registry.RegistryFixtures.fastSettings;
import static dev.blocklift.registry.RegistryFixtures.open;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.Platform;
import dev.blocklift.image.Descriptor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry process dies while a large layer is streaming: a clear error, never a hang. */
class RegistryGoesAwayTest {
  @TempDir Path tmp;

  @Test
  void killingTheRegistryMidLayerFailsTheReadNamingTheBlob() throws IOException {
    LocalRegistry.requireTools();
    OciFixture layout = new OciFixture(tmp.resolve("layout"));
    // 48 MiB of incompressible data: far more than the socket buffers can hold.
    OciFixture.Image big =
        layout.image(
            "amd64", List.of(OciFixture.randomTar(new SplittableRandom(66), 6, 8 << 20)), false);
    layout.tag("big", big.manifest());
    try (LocalRegistry registry = LocalRegistry.start(tmp.resolve("registry"))) {
      registry.push(layout.dir(), "big", "test/big:1");
      try (RegistryImageSource source =
          open("docker://" + registry.host() + "/test/big:1", fastSettings())) {
        Descriptor layer = source.resolve(Platform.LINUX_AMD64).layers().get(0);
        assertEquals(big.layers().get(0), layer);
        try (InputStream in = source.openBlob(layer)) {
          byte[] first = in.readNBytes(1 << 20);
          assertEquals(1 << 20, first.length);
          registry.kill();
          IOException e =
              assertTimeoutPreemptively(
                  Duration.ofSeconds(60),
                  () ->
                      assertThrows(
                          IOException.class,
                          () -> in.transferTo(java.io.OutputStream.nullOutputStream())));
          assertTrue(e.getMessage().contains(layer.digest().toString()), e.getMessage());
          assertTrue(e.getMessage().contains("of " + layer.size()), e.getMessage());
        }
      }
    }
  }
}
