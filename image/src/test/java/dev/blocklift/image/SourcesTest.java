package dev.blocklift.image;

import static dev.blocklift.testing.oci.TarEntry.directory;
import static dev.blocklift.testing.oci.TarEntry.file;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.Digest;
import dev.blocklift.core.ImageRef;
import dev.blocklift.core.Platform;
import dev.blocklift.testing.TreeSnapshot;
import dev.blocklift.testing.oci.Blob;
import dev.blocklift.testing.oci.Compression;
import dev.blocklift.testing.oci.DockerArchiveWriter;
import dev.blocklift.testing.oci.ImageSpec;
import dev.blocklift.testing.oci.Layer;
import dev.blocklift.testing.oci.OciLayoutWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** OCI layouts (tags, nested indexes, platforms) and docker-archives resolve to the same tree. */
class SourcesTest {
  @TempDir Path tmp;

  private static Layer[] layers(Compression c) {
    Layer[] all = UmociOracleTest.allTypes();
    for (Layer l : all) {
      l.compression(c);
    }
    return all;
  }

  private static TreeSnapshot load(ImageRef ref, Platform p) throws Exception {
    try (ImageSource s = ImageSources.open(ref)) {
      return LoadedImageSnapshots.of(ImageLoader.load(s, p, LoadListener.NONE));
    }
  }

  private static ImageRef oci(Path dir, String tag) {
    return new ImageRef.OciLayout(dir, Optional.ofNullable(tag));
  }

  @Test
  void plainGzipAndZstdLayersGiveTheSameTree() throws Exception {
    TreeSnapshot plain =
        load(
            oci(Fixtures.layout(tmp.resolve("p"), layers(Compression.PLAIN)), "latest"),
            Platform.LINUX_AMD64);
    TreeSnapshot gzip =
        load(
            oci(Fixtures.layout(tmp.resolve("g"), layers(Compression.GZIP)), "latest"),
            Platform.LINUX_AMD64);
    TreeSnapshot zstd =
        load(
            oci(Fixtures.layout(tmp.resolve("z"), layers(Compression.ZSTD)), "latest"),
            Platform.LINUX_AMD64);
    plain.assertSameAs(gzip, "plain vs gzip");
    plain.assertSameAs(zstd, "plain vs zstd");
    assertTrue(plain.entries().size() > 30, "entries: " + plain.entries().size());
  }

  @ParameterizedTest
  @EnumSource(DockerArchiveWriter.Style.class)
  void dockerArchiveGivesTheSameTreeAsTheOciLayout(DockerArchiveWriter.Style style)
      throws Exception {
    TreeSnapshot fromLayout =
        load(
            oci(Fixtures.layout(tmp.resolve("oci"), layers(Compression.GZIP)), "latest"),
            Platform.LINUX_AMD64);
    Path archive = tmp.resolve("image.tar");
    DockerArchiveWriter.write(
        archive, ImageSpec.linuxAmd64(), List.of(layers(Compression.ZSTD)), style);
    ImageRef ref = new ImageRef.DockerArchive(archive);
    fromLayout.assertSameAs(load(ref, Platform.LINUX_AMD64), "oci vs docker-archive " + style);
    // The synthesized manifest digest is a function of the archive alone.
    Digest first;
    Digest second;
    try (ImageSource s = ImageSources.open(ref)) {
      first = s.resolve(Platform.LINUX_AMD64).manifestDigest();
    }
    try (ImageSource s = ImageSources.open(ref)) {
      second = s.resolve(Platform.LINUX_AMD64).manifestDigest();
    }
    assertEquals(first, second);
  }

  @Test
  void skopeoWrittenDockerArchiveGivesTheSameTree() throws Exception {
    dev.blocklift.testing.Requirements.commands("skopeo");
    Path layout = Fixtures.layout(tmp.resolve("oci"), layers(Compression.GZIP));
    Path archive = tmp.resolve("skopeo.tar");
    List<String> cmd =
        List.of(
            "skopeo",
            "copy",
            "--quiet",
            "oci:" + layout + ":latest",
            "docker-archive:" + archive + ":fixture:latest");
    dev.blocklift.testing.Processes.run(java.time.Duration.ofMinutes(2), null, cmd)
        .assertSuccess(cmd);
    load(oci(layout, "latest"), Platform.LINUX_AMD64)
        .assertSameAs(
            load(new ImageRef.DockerArchive(archive), Platform.LINUX_AMD64),
            "skopeo docker-archive");
  }

  @Test
  void dockerArchiveOfAnotherPlatformSaysWhatItHolds() throws Exception {
    Path archive = tmp.resolve("arm.tar");
    DockerArchiveWriter.write(
        archive,
        ImageSpec.linuxAmd64().platform("linux/arm64/v8"),
        List.of(Layer.of(file("a", "a"))),
        DockerArchiveWriter.Style.LEGACY);
    BlockliftException e =
        assertThrows(
            BlockliftException.class,
            () -> load(new ImageRef.DockerArchive(archive), Platform.LINUX_AMD64));
    assertTrue(e.getMessage().contains("linux/arm64/v8"), e.getMessage());
    assertEquals(
        1,
        load(new ImageRef.DockerArchive(archive), Platform.parse("linux/arm64")).entries().size()
            - 1);
  }

  /** A layout with a tagged nested index (amd64, arm64/v8, an attestation) and a second tag. */
  private Path multiPlatform() throws Exception {
    OciLayoutWriter w = OciLayoutWriter.create(tmp.resolve("multi"));
    Blob amd = w.image(ImageSpec.linuxAmd64(), Layer.of(file("arch", "amd64")));
    Blob arm =
        w.image(ImageSpec.linuxAmd64().platform("linux/arm64/v8"), Layer.of(file("arch", "arm64")));
    Blob attestation =
        w.blob(
            "application/vnd.in-toto+json", "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    Blob inner = w.index(List.of(arm, attestation));
    Blob outer = w.index(List.of(amd, inner));
    w.tag("multi", outer);
    Blob other = w.image(ImageSpec.linuxAmd64(), Layer.of(file("arch", "other")));
    w.tag("other", other.withoutPlatform());
    w.writeIndex();
    return w.directory();
  }

  private static String arch(TreeSnapshot s) {
    return s.entries().get("/arch").sha256();
  }

  @Test
  void nestedIndexesSelectThePlatform() throws Exception {
    Path dir = multiPlatform();
    TreeSnapshot amd = load(oci(dir, "multi"), Platform.LINUX_AMD64);
    TreeSnapshot arm = load(oci(dir, "multi"), Platform.parse("linux/arm64/v8"));
    TreeSnapshot armAnyVariant = load(oci(dir, "multi"), Platform.parse("linux/arm64"));
    assertEquals(
        TreeSnapshot.sha256Unchecked(
            new java.io.ByteArrayInputStream(
                "amd64".getBytes(java.nio.charset.StandardCharsets.UTF_8))),
        arch(amd));
    assertNotEquals(arch(amd), arch(arm));
    assertEquals(arch(arm), arch(armAnyVariant));
    // An entry without a platform is matched by its config.
    assertNotEquals(arch(amd), arch(load(oci(dir, "other"), Platform.LINUX_AMD64)));
  }

  @Test
  void missingPlatformListsWhatIsThere() throws Exception {
    BlockliftException e =
        assertThrows(
            BlockliftException.class,
            () -> load(oci(multiPlatform(), "multi"), Platform.parse("linux/s390x")));
    assertTrue(e.getMessage().contains("linux/amd64"), e.getMessage());
    assertTrue(e.getMessage().contains("linux/arm64/v8"), e.getMessage());
    assertTrue(e.getMessage().contains("linux/s390x"), e.getMessage());
  }

  @Test
  void missingTagListsTheTags() throws Exception {
    BlockliftException e =
        assertThrows(
            BlockliftException.class,
            () -> load(oci(multiPlatform(), "nope"), Platform.LINUX_AMD64));
    assertTrue(e.getMessage().contains("\"nope\""), e.getMessage());
    assertTrue(e.getMessage().contains("multi, other"), e.getMessage());
  }

  @Test
  void ambiguousUntaggedLayoutAsksForATag() throws Exception {
    BlockliftException e =
        assertThrows(
            BlockliftException.class, () -> load(oci(multiPlatform(), null), Platform.LINUX_AMD64));
    assertTrue(e.getMessage().contains("multi, other"), e.getMessage());
  }

  @Test
  void singleUntaggedImageNeedsNoTag() throws Exception {
    Path dir = Fixtures.layout(tmp.resolve("one"), Layer.of(directory("d/")));
    assertTrue(load(oci(dir, null), Platform.LINUX_AMD64).entries().containsKey("/d"));
  }

  @Test
  void notALayoutAndMissingBlobsAreClearErrors() throws Exception {
    Files.createDirectories(tmp.resolve("empty"));
    BlockliftException e =
        assertThrows(
            BlockliftException.class, () -> ImageSources.open(oci(tmp.resolve("empty"), null)));
    assertTrue(e.getMessage().contains("no oci-layout file"), e.getMessage());
    OciLayoutWriter w = OciLayoutWriter.create(tmp.resolve("gone"));
    Blob m = w.image(ImageSpec.linuxAmd64(), Layer.of(file("a", "a")));
    w.tag("latest", m);
    w.writeIndex();
    Files.delete(w.blobPath(CorruptLayerTest.layerDigest(w, m.digest(), 0)));
    Path dir = w.directory();
    BlockliftException missing =
        assertThrows(
            BlockliftException.class, () -> load(oci(dir, "latest"), Platform.LINUX_AMD64));
    assertTrue(missing.getMessage().contains("is missing from OCI layout"), missing.getMessage());
  }

  @Test
  void registryReferencesAreForTheRegistryModule() {
    BlockliftException e =
        assertThrows(
            BlockliftException.class,
            () -> ImageSources.open(ImageRef.parse("docker://localhost:5000/app:1")));
    assertTrue(e.getMessage().contains("docker://localhost:5000/app:1"), e.getMessage());
    assertTrue(e.getMessage().contains("registry module"), e.getMessage());
  }

  @Test
  void configIsParsed() throws Exception {
    Path dir =
        Fixtures.layout(
            tmp.resolve("cfg"),
            ImageSpec.linuxAmd64()
                .created("2024-02-03T04:05:06.789Z")
                .entrypoint(List.of("/bin/app", "--serve"))
                .cmd(List.of("x"))
                .env(List.of("A=1", "B=2"))
                .workingDir("/srv")
                .user("1000:1000")
                .label("org.example", "yes"),
            Layer.of(file("a", "a")));
    try (ImageSource s = ImageSources.open(oci(dir, "latest"))) {
      LoadedImage img = ImageLoader.load(s, Platform.LINUX_AMD64, LoadListener.NONE);
      ImageConfig c = img.config();
      assertEquals(List.of("/bin/app", "--serve"), c.entrypoint());
      assertEquals(List.of("x"), c.cmd());
      assertEquals(List.of("A=1", "B=2"), c.env());
      assertEquals("/srv", c.workingDir());
      assertEquals("1000:1000", c.user());
      assertEquals(1706933106L, c.createdSeconds());
      assertEquals(1706933106L, img.tree().createdSeconds());
      assertEquals("amd64", c.architecture());
      assertEquals("linux", c.os());
      assertEquals("yes", c.labels().get("org.example"));
      assertEquals(img.resolved().manifestDigest(), img.tree().imageDigest());
    }
  }
}
