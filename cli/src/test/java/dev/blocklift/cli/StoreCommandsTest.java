package dev.blocklift.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.blocklift.chunk.Manifest;
import dev.blocklift.core.ChunkName;
import dev.blocklift.core.ImageName;
import dev.blocklift.store.FsyncPolicy;
import dev.blocklift.store.Store;
import dev.blocklift.store.local.LocalChunkStore;
import dev.blocklift.store.local.LocalStoreProvider;
import dev.blocklift.testing.oci.Blob;
import dev.blocklift.testing.oci.ImageSpec;
import dev.blocklift.testing.oci.Layer;
import dev.blocklift.testing.oci.OciLayoutWriter;
import dev.blocklift.testing.oci.TarEntry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store commands end to end through the CLI, on OCI fixtures built by the testing module. */
class StoreCommandsTest {
  @TempDir Path dir;
  Path home;
  Path layout;

  record Run(int code, String out, String err) {}

  Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cl = BlockliftCommand.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    List<String> all = new ArrayList<>(List.of(args));
    int code = cl.execute(all.toArray(String[]::new));
    return new Run(code, out.toString(), err.toString());
  }

  private static byte[] random(SplittableRandom r, int size) {
    byte[] b = new byte[size];
    r.nextBytes(b);
    return b;
  }

  @BeforeEach
  void images() throws Exception {
    home = dir.resolve("home");
    layout = dir.resolve("layout");
    SplittableRandom r = new SplittableRandom(2026);
    Layer base = Layer.of(TarEntry.directory("usr/"), TarEntry.directory("usr/lib/"));
    for (int i = 0; i < 8; i++) {
      base.add(TarEntry.file("usr/lib/lib" + i + ".so", random(r, 700_000 + i * 10_000)));
    }
    base.add(TarEntry.file("etc-os-release", "ID=fixture\n"));
    Layer app =
        Layer.of(TarEntry.directory("app/"), TarEntry.file("app/main.bin", random(r, 1_500_000)));
    OciLayoutWriter w = OciLayoutWriter.create(layout);
    Blob b = w.image(ImageSpec.linuxAmd64(), base);
    Blob d = w.image(ImageSpec.linuxAmd64(), base, app);
    w.tag("base", b).tag("derived", d).writeIndex();
  }

  private JsonNode json(Run r) throws Exception {
    assertEquals(0, r.code(), r.err() + r.out());
    return new ObjectMapper().readTree(r.out());
  }

  @Test
  void aManifestCopiedOverAnotherTagIsRefusedAndTheConfigIsNotPublic() throws Exception {
    for (String[] c : new String[][] {{"base", "team/base:1"}, {"derived", "team/curl:1"}}) {
      json(
          run(
              "convert",
              "oci:" + layout + ":" + c[0],
              "--name",
              c[1],
              "--home",
              home.toString(),
              "--json"));
    }
    Path store = home.resolve("store");
    Path base;
    Path curl;
    try (Store s = LocalStoreProvider.open(store, FsyncPolicy.NONE)) {
      var m = (dev.blocklift.store.local.LocalManifestStore) s.manifests();
      base = m.path(ImageName.parse("team/base:1"));
      curl = m.path(ImageName.parse("team/curl:1"));
    }
    assertEquals(
        "rw-------",
        java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(base)));
    String bytes =
        new String(Files.readAllBytes(base), java.nio.charset.StandardCharsets.ISO_8859_1);
    assertTrue(!bytes.contains("\"Env\"") && !bytes.contains("PATH="), "the config is sealed");
    JsonNode opened =
        json(run("inspect", "team/base:1", "--open", "--home", home.toString(), "--json"));
    assertTrue(opened.get("config").asText().contains("PATH="), opened.toString());

    Files.copy(curl, base, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Run swapped = run("inspect", "team/base:1", "--open", "--home", home.toString());
    assertEquals(1, swapped.code(), swapped.out());
    assertTrue(
        swapped.err().contains("stored as team/base:1 was sealed as team/curl:1"), swapped.err());
    Run verify = run("verify", "team/base:1", "--home", home.toString());
    assertEquals(1, verify.code(), verify.out());
  }

  @Test
  void convertBaseThenDerivedThenListInspectVerifyGc() throws Exception {
    JsonNode base =
        json(
            run(
                "convert",
                "oci:" + layout + ":base",
                "--name",
                "fixture/base:1",
                "--home",
                home.toString(),
                "--json"));
    JsonNode derived =
        json(
            run(
                "convert",
                "oci:" + layout + ":derived",
                "--name",
                "fixture/app:1",
                "--home",
                home.toString(),
                "--json"));
    System.out.println("[figures] base: " + base);
    System.out.println("[figures] derived: " + derived);
    assertEquals(0, base.get("alreadyPresent").asInt());
    assertTrue(base.get("new").asInt() > 8, base.toString());
    assertTrue(
        derived.get("alreadyPresent").asInt() > 0,
        "the derived image re-uses its base: " + derived);
    try (Store s = LocalStoreProvider.open(home.resolve("store"), FsyncPolicy.NONE)) {
      java.util.Set<ChunkName> baseChunks =
          Manifest.parse(s.manifests().get(ImageName.parse("fixture/base:1")).orElseThrow())
              .distinctChunks();
      java.util.Set<ChunkName> unique =
          new java.util.HashSet<>(
              Manifest.parse(s.manifests().get(ImageName.parse("fixture/app:1")).orElseThrow())
                  .distinctChunks());
      unique.removeAll(baseChunks);
      assertEquals(unique.size(), derived.get("new").asInt(), "uploads exactly its unique chunks");
      assertTrue(unique.size() < baseChunks.size(), "most of the derived image is its base");
    }

    Run images = run("images", "--home", home.toString());
    assertTrue(
        images.out().contains("fixture/base:1") && images.out().contains("fixture/app:1"),
        images.out());

    JsonNode inspect =
        json(run("inspect", "fixture/app:1", "--open", "--home", home.toString(), "--json"));
    assertEquals("authentic", inspect.get("sealed").asText());
    assertEquals(inspect.get("dataChunks").asInt(), inspect.get("keys").asInt());
    assertTrue(
        !inspect.toString().toLowerCase(java.util.Locale.ROOT).contains("\"key\":"),
        "keys are never printed");

    Run verify = run("verify", "fixture/app:1", "--home", home.toString());
    assertEquals(0, verify.code(), verify.out() + verify.err());

    Run wrongTenant =
        run("verify", "fixture/app:1", "--tenant", "intruder", "--home", home.toString());
    assertEquals(1, wrongTenant.code());
    assertTrue(wrongTenant.err().contains("intruder"), wrongTenant.err());

    // flip a bit in one stored chunk: verify names it and fails with exit code 2
    ChunkName victim;
    try (Store s = LocalStoreProvider.open(home.resolve("store"), FsyncPolicy.NONE)) {
      Manifest m =
          Manifest.parse(s.manifests().get(ImageName.parse("fixture/app:1")).orElseThrow());
      victim = m.distinctChunks().iterator().next();
      Path file = ((LocalChunkStore) s.chunks()).path(victim);
      byte[] bytes = Files.readAllBytes(file);
      bytes[bytes.length / 2] ^= 4;
      Files.write(file, bytes);
    }
    Run bad = run("verify", "fixture/app:1", "--home", home.toString());
    assertEquals(2, bad.code(), bad.out() + bad.err());
    assertTrue(bad.out().contains("CORRUPT") && bad.out().contains(victim.hex()), bad.out());

    JsonNode gc = json(run("gc", "--dry-run", "--grace", "0", "--home", home.toString(), "--json"));
    assertEquals(2, gc.get("manifests").asInt());
    assertEquals(0, gc.get("wouldSweep").asInt(), "every chunk is referenced: " + gc);

    Run roots = run("roots", "--home", home.toString());
    assertTrue(roots.out().contains("root-1") && roots.out().contains("active"), roots.out());
    Run rotate = run("roots", "rotate", "--home", home.toString());
    assertTrue(rotate.out().contains("root-2"), rotate.out());
  }

  @Test
  void convertCompressesByDefaultAndCompressNoneStillWorks() throws Exception {
    JsonNode zstd =
        json(
            run(
                "convert",
                "oci:" + layout + ":base",
                "--name",
                "fixture/zstd:1",
                "--home",
                home.toString(),
                "--json"));
    JsonNode none =
        json(
            run(
                "convert",
                "oci:" + layout + ":base",
                "--name",
                "fixture/none:1",
                "--compress",
                "none",
                "--home",
                home.toString(),
                "--json"));
    System.out.println("[figures] zstd: " + zstd + "\n[figures] none: " + none);
    assertEquals("zstd", zstd.get("compression").asText());
    assertEquals("none", none.get("compression").asText());
    assertEquals(zstd.get("dataBytes").asLong(), none.get("dataBytes").asLong());
    // the files are random, but ext4's metadata chunks compress
    assertTrue(zstd.get("compressedChunks").asInt() > 0, zstd.toString());
    assertTrue(zstd.get("storedBytes").asLong() < zstd.get("dataBytes").asLong(), zstd.toString());
    assertEquals(0, none.get("compressedChunks").asInt());
    assertTrue(
        none.get("storedBytes").asLong() > none.get("dataBytes").asLong(),
        "raw: frame, nonce and tag on top: " + none);
    assertTrue(none.get("alreadyPresent").asInt() > 0, "raw chunks dedup across settings");

    for (String image : new String[] {"fixture/zstd:1", "fixture/none:1"}) {
      Run verify = run("verify", image, "--home", home.toString());
      assertEquals(0, verify.code(), image + ": " + verify.out() + verify.err());
      JsonNode inspect = json(run("inspect", image, "--home", home.toString(), "--json"));
      assertEquals(3, inspect.get("formatVersion").asInt());
      assertEquals(1, inspect.get("chunkFormat").asInt());
    }

    Run text =
        run(
            "convert",
            "oci:" + layout + ":base",
            "--name",
            "fixture/zstd:2",
            "--home",
            home.toString());
    assertEquals(0, text.code(), text.err());
    assertTrue(text.out().contains("stored as") && text.out().contains("zstd"), text.out());
  }

  @Test
  void badInputsGiveOneLineErrorsThatNameTheValue() {
    Run badUri = run("images", "--store", "ftp://x/y", "--home", home.toString());
    assertEquals(1, badUri.code());
    assertTrue(badUri.err().contains("ftp"), badUri.err());
    Run badGrace = run("gc", "--grace", "soon", "--home", home.toString());
    assertTrue(badGrace.err().contains("soon"), badGrace.err());
    Run missing = run("inspect", "nope:1", "--home", home.toString());
    assertTrue(missing.err().contains("nope:1"), missing.err());
    Run badChunk =
        run(
            "convert",
            "oci:" + layout + ":base",
            "--name",
            "x",
            "--chunk-size",
            "3KiB",
            "--home",
            home.toString());
    assertTrue(badChunk.err().contains("3KiB"), badChunk.err());
    Run badCompress =
        run(
            "convert",
            "oci:" + layout + ":base",
            "--name",
            "x",
            "--compress",
            "lz4",
            "--home",
            home.toString());
    assertEquals(1, badCompress.code(), badCompress.err());
    assertTrue(badCompress.err().contains("\"lz4\""), badCompress.err());
  }

  @Test
  void anUnreachableS3StoreFailsClearlyAndQuickly() {
    System.setProperty("aws.accessKeyId", "test");
    System.setProperty("aws.secretAccessKey", "test-secret");
    Run r =
        assertTimeoutPreemptively(
            Duration.ofSeconds(60),
            () ->
                run(
                    "convert",
                    "oci:" + layout + ":base",
                    "--name",
                    "x:1",
                    "--home",
                    home.toString(),
                    "--store",
                    "s3://bucket/p?endpoint=http://127.0.0.1:9&attempts=2&timeout=2s&region=us-east-1"));
    assertTrue(r.code() != 0, r.out());
    String all = r.err() + r.out();
    assertTrue(all.contains("127.0.0.1:9"), all);
  }
}
