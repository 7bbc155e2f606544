package dev.blocklift.registry;

import static dev.blocklift.registry.RegistryFixtures.fastSettings;
import static dev.blocklift.registry.RegistryFixtures.open;
import static dev.blocklift.registry.RegistryFixtures.readBlob;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.CorruptDataException;
import dev.blocklift.core.Digest;
import dev.blocklift.core.Platform;
import dev.blocklift.image.Descriptor;
import dev.blocklift.image.ResolvedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry source against a real {@code docker-registry}, images pushed by skopeo. */
class RegistryImageSourceTest {
  private static final long SEED = 0x5eed_6L;

  @TempDir static Path tmp;
  static LocalRegistry registry;
  static OciFixture layout;
  static OciFixture.Image plain;
  static OciFixture.Image amd64;
  static OciFixture.Image arm64;
  static Descriptor index;
  static OciFixture.Image corruptLayer;
  static OciFixture.Image corruptConfig;

  @BeforeAll
  static void pushImages() throws IOException {
    LocalRegistry.requireTools();
    SplittableRandom random = new SplittableRandom(SEED);
    layout = new OciFixture(tmp.resolve("layout"));
    plain =
        layout.image(
            "amd64",
            List.of(
                OciFixture.randomTar(random, 5, 100_000),
                OciFixture.randomTar(random, 3, 300_000),
                OciFixture.randomTar(random, 1, 10)),
            false);
    layout.tag("plain", plain.manifest());
    amd64 = layout.image("amd64", List.of(OciFixture.randomTar(random, 2, 50_000)), false);
    arm64 = layout.image("arm64", List.of(OciFixture.randomTar(random, 2, 50_000)), false);
    index = layout.index(List.of(amd64, arm64), List.of("amd64", "arm64"));
    layout.tag("multi", index);
    corruptLayer = layout.image("amd64", List.of(OciFixture.randomTar(random, 2, 40_000)), false);
    layout.tag("corrupt-layer", corruptLayer.manifest());
    corruptConfig = layout.image("s390x", List.of(OciFixture.randomTar(random, 1, 1000)), false);
    layout.tag("corrupt-config", corruptConfig.manifest());

    registry = LocalRegistry.start(tmp.resolve("registry"));
    registry.push(layout.dir(), "plain", "test/plain:1");
    registry.push(layout.dir(), "plain", "test/v2s2:1", "--format", "v2s2");
    registry.push(layout.dir(), "multi", "test/multi:1", "--all");
    registry.push(layout.dir(), "multi", "test/multi-v2s2:1", "--all", "--format", "v2s2");
    registry.push(layout.dir(), "corrupt-layer", "test/corrupt:layer");
    registry.push(layout.dir(), "corrupt-config", "test/corrupt:config");
    flipOneByte(registry.blobData(corruptLayer.layers().get(0).digest()));
    flipOneByte(registry.blobData(config(corruptConfig)));
  }

  private static Digest config(OciFixture.Image image) {
    return Digest.sha256(image.config());
  }

  private static void flipOneByte(Path file) throws IOException {
    byte[] b = Files.readAllBytes(file);
    b[b.length / 2] ^= 0x01;
    Files.write(file, b);
  }

  @AfterAll
  static void stop() throws IOException {
    if (registry != null) {
      registry.close();
    }
  }

  private String ref(String repoAndRef) {
    return "docker://" + registry.host() + "/" + repoAndRef;
  }

  private void assertSameImage(OciFixture.Image expected, ResolvedImage actual) {
    assertEquals(expected.manifest().digest(), actual.manifestDigest());
    assertArrayEquals(expected.config(), actual.configJson());
    assertEquals(expected.layers(), actual.layers());
    assertEquals(expected.diffIds(), actual.diffIds());
  }

  @Test
  void plainImageResolvesToTheManifestConfigAndLayersPushed() throws IOException {
    try (RegistryImageSource source = open(ref("test/plain:1"), fastSettings())) {
      ResolvedImage image = source.resolve(Platform.LINUX_AMD64);
      assertSameImage(plain, image);
      for (Descriptor layer : image.layers()) {
        assertArrayEquals(layout.blob(layer.digest()), readBlob(source, layer), "" + layer);
      }
      assertEquals(ref("test/plain:1"), source.describe());
    }
  }

  @Test
  void indexResolvesEachPlatformAndNamesThoseItHas() throws IOException {
    try (RegistryImageSource source = open(ref("test/multi:1"), fastSettings())) {
      assertSameImage(amd64, source.resolve(Platform.LINUX_AMD64));
      assertSameImage(arm64, source.resolve(Platform.parse("linux/arm64")));
      assertSameImage(arm64, source.resolve(Platform.parse("linux/arm64/v8")));
      Descriptor armLayer = arm64.layers().get(0);
      assertArrayEquals(layout.blob(armLayer.digest()), readBlob(source, armLayer));
      BlockliftException e =
          assertThrows(
              BlockliftException.class, () -> source.resolve(Platform.parse("linux/s390x")));
      assertTrue(e.getMessage().contains("linux/s390x"), e.getMessage());
      assertTrue(e.getMessage().contains("linux/amd64, linux/arm64/v8"), e.getMessage());
    }
  }

  @Test
  void byDigestOfAManifestAndOfAnIndex() throws IOException {
    try (RegistryImageSource source =
        open(ref("test/plain@" + plain.manifest().digest()), fastSettings())) {
      assertSameImage(plain, source.resolve(Platform.LINUX_AMD64));
    }
    try (RegistryImageSource source = open(ref("test/multi@" + index.digest()), fastSettings())) {
      assertSameImage(amd64, source.resolve(Platform.LINUX_AMD64));
      assertSameImage(arm64, source.resolve(Platform.parse("linux/arm64")));
    }
    Digest unknown = Digest.sha256(new byte[] {1, 2, 3});
    try (RegistryImageSource source = open(ref("test/plain@" + unknown), fastSettings())) {
      BlockliftException e =
          assertThrows(BlockliftException.class, () -> source.resolve(Platform.LINUX_AMD64));
      assertTrue(e.getMessage().contains("test/plain@" + unknown), e.getMessage());
      assertTrue(e.getMessage().contains("not found"), e.getMessage());
    }
  }

  @Test
  void dockerSchema2ManifestsAndListsServeTheSameLayers() throws IOException {
    try (RegistryImageSource source = open(ref("test/v2s2:1"), fastSettings())) {
      ResolvedImage image = source.resolve(Platform.LINUX_AMD64);
      assertNotEquals(plain.manifest().digest(), image.manifestDigest());
      assertEquals(plain.diffIds(), image.diffIds());
      assertEquals(plain.layers().size(), image.layers().size());
      for (int i = 0; i < image.layers().size(); i++) {
        Descriptor layer = image.layers().get(i);
        assertEquals("application/vnd.docker.image.rootfs.diff.tar.gzip", layer.mediaType());
        assertEquals(plain.layers().get(i).digest(), layer.digest());
        assertArrayEquals(layout.blob(layer.digest()), readBlob(source, layer));
      }
    }
    try (RegistryImageSource source = open(ref("test/multi-v2s2:1"), fastSettings())) {
      ResolvedImage image = source.resolve(Platform.parse("linux/arm64"));
      assertEquals(arm64.diffIds(), image.diffIds());
    }
  }

  @Test
  void missingTagAndRepositoryAreNotFoundNamingThem() throws IOException {
    try (RegistryImageSource source = open(ref("test/plain:nope"), fastSettings())) {
      BlockliftException e =
          assertThrows(BlockliftException.class, () -> source.resolve(Platform.LINUX_AMD64));
      assertTrue(e.getMessage().contains("test/plain:nope"), e.getMessage());
      assertTrue(e.getMessage().contains("not found"), e.getMessage());
    }
    try (RegistryImageSource source = open(ref("no/such-repo:1"), fastSettings())) {
      BlockliftException e =
          assertThrows(BlockliftException.class, () -> source.resolve(Platform.LINUX_AMD64));
      assertTrue(e.getMessage().contains("no/such-repo:1 not found"), e.getMessage());
    }
  }

  @Test
  void aCorruptLayerFailsAtItsEndAndACorruptConfigFailsResolve() throws IOException {
    try (RegistryImageSource source = open(ref("test/corrupt:layer"), fastSettings())) {
      ResolvedImage image = source.resolve(Platform.LINUX_AMD64);
      Descriptor layer = image.layers().get(0);
      CorruptDataException e =
          assertThrows(CorruptDataException.class, () -> readBlob(source, layer));
      assertTrue(e.getMessage().contains(layer.digest().toString()), e.getMessage());
    }
    try (RegistryImageSource source = open(ref("test/corrupt:config"), fastSettings())) {
      CorruptDataException e =
          assertThrows(
              CorruptDataException.class, () -> source.resolve(Platform.parse("linux/s390x")));
      assertTrue(e.getMessage().contains(config(corruptConfig).toString()), e.getMessage());
    }
  }

  @Test
  void aBlobWhoseDescriptorSizeIsWrongIsRefused() throws IOException {
    try (RegistryImageSource source = open(ref("test/plain:1"), fastSettings())) {
      Descriptor real = plain.layers().get(0);
      Descriptor shorter = new Descriptor(real.mediaType(), real.digest(), real.size() - 1);
      assertThrows(CorruptDataException.class, () -> readBlob(source, shorter));
      Descriptor longer = new Descriptor(real.mediaType(), real.digest(), real.size() + 1);
      assertThrows(CorruptDataException.class, () -> readBlob(source, longer));
    }
  }

  @Test
  void concurrentBlobReadsOnOneSourceAllGetTheirBytes() throws Exception {
    try (RegistryImageSource source = open(ref("test/plain:1"), fastSettings());
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      ResolvedImage image = source.resolve(Platform.LINUX_AMD64);
      List<Future<byte[]>> reads = new ArrayList<>();
      List<Descriptor> order = new ArrayList<>();
      for (int round = 0; round < 4; round++) {
        for (Descriptor d : image.layers()) {
          order.add(d);
          reads.add(pool.submit(() -> readBlob(source, d)));
        }
      }
      for (int i = 0; i < reads.size(); i++) {
        assertArrayEquals(layout.blob(order.get(i).digest()), reads.get(i).get());
      }
    }
  }

  @Test
  void aBlobCutShortResumesWithRangeAndYieldsTheSameBytes() throws IOException {
    try (FaultyProxy proxy = new FaultyProxy(registry.host())) {
      proxy.cutsLeft.set(2);
      proxy.cutAfter = 50_000;
      String viaProxy = "docker://" + proxy.host() + "/test/plain:1";
      try (RegistryImageSource source = open(viaProxy, fastSettings())) {
        Descriptor big = plain.layers().get(1);
        assertArrayEquals(layout.blob(big.digest()), readBlob(source, big));
        assertEquals(2, proxy.rangeRequests.get(), "one Range request per cut");
      }
    }
  }

  @Test
  void aBlobCutShortEveryTimeFailsClearlyAfterBoundedRetries() throws IOException {
    try (FaultyProxy proxy = new FaultyProxy(registry.host())) {
      proxy.cutsLeft.set(Integer.MAX_VALUE);
      proxy.cutAfter = 10_000;
      String viaProxy = "docker://" + proxy.host() + "/test/plain:1";
      try (RegistryImageSource source = open(viaProxy, fastSettings())) {
        Descriptor big = plain.layers().get(1);
        try (InputStream in = source.openBlob(big)) {
          IOException e = assertThrows(IOException.class, in::readAllBytes);
          assertTrue(e.getMessage().contains(big.digest().toString()), e.getMessage());
          assertTrue(e.getMessage().contains("after 3 attempts"), e.getMessage());
        }
      }
    }
  }

  @Test
  void redirectsToBlobStorageCarryNoRegistryCredentials() throws IOException {
    try (FaultyProxy front = new FaultyProxy(registry.host());
        FaultyProxy storage = new FaultyProxy(registry.host())) {
      Credentials creds = new Credentials("alice", "s3cret-Pa55");
      front.requiredAuthorization = creds.basicHeader();
      front.redirectBlobsTo = "http://localhost:" + storage.host().split(":")[1];
      String viaFront = "docker://" + front.host() + "/test/plain:1";
      try (RegistryImageSource source =
          open(viaFront, fastSettings().withCredentials(CredentialSource.fixed(creds)))) {
        ResolvedImage image = source.resolve(Platform.LINUX_AMD64);
        for (Descriptor layer : image.layers()) {
          assertArrayEquals(layout.blob(layer.digest()), readBlob(source, layer));
        }
      }
      assertTrue(front.authorizationsSeen.contains(creds.basicHeader()));
      assertEquals(
          List.of("none"),
          storage.authorizationsSeen.stream().distinct().toList(),
          "blob storage on another host must never see the registry credentials");
      assertEquals(4, storage.authorizationsSeen.size(), "config + 3 layers");
    }
  }

  @Test
  void serviceUnavailableIsRetriedWithBackoff() throws IOException {
    try (FaultyProxy proxy = new FaultyProxy(registry.host())) {
      proxy.unavailableLeft.set(2);
      try (RegistryImageSource source =
          open("docker://" + proxy.host() + "/test/plain:1", fastSettings())) {
        assertSameImage(plain, source.resolve(Platform.LINUX_AMD64));
      }
      proxy.unavailableLeft.set(100);
      try (RegistryImageSource source =
          open("docker://" + proxy.host() + "/test/plain:1", fastSettings())) {
        BlockliftException e =
            assertThrows(BlockliftException.class, () -> source.resolve(Platform.LINUX_AMD64));
        assertTrue(e.getMessage().contains("after 3 attempts: HTTP 503"), e.getMessage());
      }
    }
  }

  @Test
  void aStalledBlobTimesOutInsteadOfHanging() throws IOException {
    try (FaultyProxy proxy = new FaultyProxy(registry.host())) {
      proxy.stallBlobs = true;
      RegistrySettings settings =
          fastSettings()
              .withTimeouts(java.time.Duration.ofSeconds(2), java.time.Duration.ofSeconds(1));
      try (RegistryImageSource source =
          open("docker://" + proxy.host() + "/test/plain:1", settings)) {
        Descriptor layer = plain.layers().get(0);
        IOException e =
            org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                java.time.Duration.ofSeconds(30),
                () -> assertThrows(IOException.class, () -> readBlob(source, layer)));
        assertTrue(e.getMessage().contains("no data for 1 s"), e.getMessage());
      }
    }
  }
}
