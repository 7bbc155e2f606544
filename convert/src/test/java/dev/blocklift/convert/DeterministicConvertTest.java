package dev.blocklift.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.chunk.ChunkSize;
import dev.blocklift.chunk.KeyService;
import dev.blocklift.chunk.Manifest;
import dev.blocklift.chunk.OpenedManifest;
import dev.blocklift.chunk.TenantId;
import dev.blocklift.core.ImageName;
import dev.blocklift.core.ImageRef;
import dev.blocklift.core.Platform;
import dev.blocklift.flatten.FlattenListener;
import dev.blocklift.flatten.FlattenOptions;
import dev.blocklift.flatten.Flattener;
import dev.blocklift.image.ImageSource;
import dev.blocklift.image.ImageSources;
import dev.blocklift.image.LoadListener;
import dev.blocklift.image.LoadedImage;
import dev.blocklift.store.FsyncPolicy;
import dev.blocklift.store.local.LocalStoreProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same image converted with different parallelism (one worker, one upload, a queue of one; four
 * workers, sixteen uploads), into an empty store and into one that has every chunk, streamed while
 * it is flattened and from an already flattened device, and re-converted from the previous
 * manifest: the manifests are the same, byte for byte, in everything but the sealing's fresh random
 * data key and nonce (the public part, and the salt and keys the sealed table holds).
 */
class DeterministicConvertTest {
  @TempDir Path dir;

  @Test
  void theManifestDoesNotDependOnParallelismStreamingOrReuse() throws Exception {
    ImageRef ref = TestImages.app(dir.resolve("oci"), 7);
    ConvertOptions serial = options("det/a:1").withConcurrency(1, 1, 1);
    ConvertOptions parallel = options("det/a:1").withConcurrency(4, 16, 8);
    Path homeDir = dir.resolve("home");
    try (TestHome one = new TestHome(homeDir);
        TestHome other =
            new TestHome(
                homeDir, LocalStoreProvider.open(dir.resolve("other"), FsyncPolicy.FULL))) {
      byte[] a = convert(one, ref, serial);
      // Same salt, another (empty) store; chunks done before chunking() is called were read,
      // encrypted and uploaded while the flattener was still writing the device.
      AtomicInteger streamed = new AtomicInteger();
      AtomicBoolean flattened = new AtomicBoolean();
      other
          .converter()
          .convert(
              ref,
              Platform.LINUX_AMD64,
              parallel,
              new ConvertListener() {
                @Override
                public void chunking(int chunks, long deviceBytes) {
                  flattened.set(true);
                }

                @Override
                public void chunkDone(boolean hole) {
                  if (!flattened.get() && !hole) {
                    streamed.incrementAndGet();
                  }
                }
              });
      assertTrue(streamed.get() > 5, "data chunks done while flattening: " + streamed);
      byte[] b = published(other, "det/a:1");
      assertSameManifest(a, b, one.keys);

      // Into the first store again, under another name: every chunk is present.
      ConvertResult again =
          one.converter()
              .convert(
                  ref,
                  Platform.LINUX_AMD64,
                  parallel.withName(ImageName.parse("det/b:1")),
                  ConvertListener.NONE);
      assertEquals(0, again.stats().newChunks());
      assertSameManifest(a, published(one, "det/b:1"), one.keys);

      // The same name again: keys found in the previous manifest, nothing encrypted.
      ConvertResult reused =
          one.converter().convert(ref, Platform.LINUX_AMD64, serial, ConvertListener.NONE);
      assertEquals(0, reused.stats().newChunks());
      int data = reused.stats().chunks() - reused.stats().holes();
      assertEquals(data, reused.stats().reusedChunks(), reused.stats().toString());
      assertSameManifest(a, published(one, "det/a:1"), one.keys);

      // Flattened first, then converted as a device: what streaming must match.
      Path device = dir.resolve("flat.img");
      LoadedImage image;
      try (ImageSource source = ImageSources.open(ref)) {
        image =
            new Flattener()
                .flatten(
                    source,
                    Platform.LINUX_AMD64,
                    device,
                    FlattenOptions.defaults(),
                    LoadListener.NONE,
                    FlattenListener.NONE)
                .image();
      }
      one.converter()
          .convertDevice(
              device,
              image.resolved().manifestDigest(),
              image.resolved().configJson(),
              options("det/c:1").withConcurrency(2, 4, 2),
              ConvertListener.NONE);
      assertSameManifest(a, published(one, "det/c:1"), one.keys);
    }
  }

  private static ConvertOptions options(String name) {
    return ConvertOptions.of(ImageName.parse(name), TenantId.DEFAULT)
        .withChunkSize(ChunkSize.DEFAULT);
  }

  private static byte[] convert(TestHome home, ImageRef ref, ConvertOptions o) throws Exception {
    home.converter().convert(ref, Platform.LINUX_AMD64, o, ConvertListener.NONE);
    return published(home, o.name().toString());
  }

  private static byte[] published(TestHome home, String name) throws Exception {
    return home.store.manifests().get(ImageName.parse(name)).orElseThrow();
  }

  /** Equal public parts, byte for byte; equal salts and keys in the sealed tables. */
  static void assertSameManifest(byte[] a, byte[] b, KeyService keys) {
    Manifest ma = Manifest.parse(a);
    Manifest mb = Manifest.parse(b);
    int pub = publicLength(ma);
    assertEquals(
        pub - ma.imageName().orElseThrow().toString().length(),
        publicLength(mb) - mb.imageName().orElseThrow().toString().length());
    // The name and tag sequence (a clock reading) are the only public fields that differ between
    // conversions of the same image under other names: compare everything else.
    int fromA = 12 + 2 + ma.imageName().orElseThrow().toString().length() + 8;
    int fromB = 12 + 2 + mb.imageName().orElseThrow().toString().length() + 8;
    assertTrue(Arrays.equals(a, 0, 12, b, 0, 12), "headers differ");
    assertTrue(
        Arrays.equals(a, fromA, pub, b, fromB, publicLength(mb)),
        "public parts differ: " + ma + " vs " + mb);
    assertEquals("SEAL", new String(a, pub, 4, StandardCharsets.US_ASCII));
    OpenedManifest oa =
        OpenedManifest.open(ma, keys, TenantId.DEFAULT, ma.imageName().orElseThrow());
    OpenedManifest ob =
        OpenedManifest.open(mb, keys, TenantId.DEFAULT, mb.imageName().orElseThrow());
    assertArrayEquals(oa.salt().bytes(), ob.salt().bytes());
    assertTrue(ma.dataChunkCount() > 10, "a fixture with data: " + ma);
    assertTrue(ma.holeCount() > 0, "and holes: " + ma);
    for (int i = 0; i < ma.chunkCount(); i++) {
      assertEquals(oa.key(i), ob.key(i), "key of chunk " + i);
    }
  }

  /** The public part's length, from the layout in docs/manifest.md. */
  private static int publicLength(Manifest m) {
    int n = 8 + 2 + 2;
    n += 2 + m.imageName().orElseThrow().toString().getBytes(StandardCharsets.UTF_8).length + 8;
    n += 2 + m.imageDigest().toString().getBytes(StandardCharsets.UTF_8).length;
    n += 4 + 8;
    n += 2 + m.saltRootId().getBytes(StandardCharsets.UTF_8).length;
    n += 4;
    for (int i = 0; i < m.chunkCount(); i++) {
      n += m.chunk(i).isPresent() ? 33 : 1;
    }
    return n;
  }
}
