package dev.blocklift.flatten;

import static dev.blocklift.testing.oci.TarEntry.directory;
import static dev.blocklift.testing.oci.TarEntry.file;
import static dev.blocklift.testing.oci.TarEntry.symlink;
import static dev.blocklift.testing.oci.TarEntry.whiteout;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.ImageRef;
import dev.blocklift.core.Platform;
import dev.blocklift.core.Sha256;
import dev.blocklift.image.ImageLoader;
import dev.blocklift.image.ImageSource;
import dev.blocklift.image.ImageSources;
import dev.blocklift.image.LoadListener;
import dev.blocklift.image.LoadedImage;
import dev.blocklift.testing.Requirements;
import dev.blocklift.testing.oci.Compression;
import dev.blocklift.testing.oci.ImageSpec;
import dev.blocklift.testing.oci.Layer;
import dev.blocklift.testing.oci.OciLayoutWriter;
import dev.blocklift.testing.oci.TarEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The dedup property the layout exists for, guarded end to end: an image built on a base (its upper
 * layer adds files to existing directories, adds directories, replaces and deletes base files)
 * keeps every non-zero 512 KiB data chunk of the base image, and loses only a small, bounded set of
 * metadata chunks (superblock, bitmaps, the inode-table block run holding the base's directories,
 * the directory blocks). Scrubbing deleted files gives up exactly the data chunks they were in.
 * Also: the one-pass flatten (data written while the layers load) writes the same bytes as the
 * two-pass path over the loaded tree.
 */
class BaseChunksTest {
  private static final int CHUNK = 512 * 1024;

  /**
   * Metadata chunks the derived image may change, for this fixture size (every group of metadata
   * fits one chunk): chunk 0 (superblock, GDT), the chunk of the bitmaps (and the top of the
   * variable region), the inode-table chunk (changed directories and removed files), the chunk of
   * layer 0's directory blocks (entries deleted or replaced). Before birth numbering, directory
   * segments, the constant checksum seed and the kept bytes of deleted files, the same upper layer
   * also changed the data chunks of every deleted or replaced file.
   */
  private static final int METADATA_BOUND = 4;

  @TempDir Path tmp;

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3})
  void derivedImageKeepsTheBaseChunks(long seed) throws Exception {
    Requirements.commands("e2fsck");
    Path layout = tmp.resolve("oci");
    OciLayoutWriter w = OciLayoutWriter.create(layout);
    Random r = new Random(seed);
    List<String> baseFiles = new ArrayList<>();
    List<String> baseDirs = new ArrayList<>();
    Layer base = baseLayer(r, baseFiles, baseDirs);
    Layer upper = upperLayer(r, baseFiles, baseDirs);
    w.tag("base", w.image(ImageSpec.linuxAmd64(), base));
    w.tag("derived", w.image(ImageSpec.linuxAmd64(), base, upper));
    w.writeIndex();

    Path b = flatten(layout, "base", FlattenOptions.defaults());
    Path d = flatten(layout, "derived", FlattenOptions.defaults());
    Path s = flatten(layout, "derived", FlattenOptions.defaults().withScrubDeleted(true));
    for (Path p : List.of(b, d, s)) {
      Ext4Tools.fsck(p);
    }
    assertEquals(Files.size(b), Files.size(d), "seed " + seed + ": same size class");
    Geometry g = Geometry.ofClass(Long.numberOfTrailingZeros(Files.size(b)));
    long firstMetadataChunk = g.varStart() * Geometry.BLOCK_SIZE / CHUNK;

    List<Long> lost = lostChunks(b, d);
    List<Long> lostData = lost.stream().filter(c -> c > 0 && c < firstMetadataChunk).toList();
    String where = "seed " + seed + ": lost base chunks " + lost + " of " + nonZero(b);
    System.out.println(where + "; scrub-deleted would lose " + lostChunks(b, s));
    assertTrue(lostData.isEmpty(), where + ", data chunks among them: " + lostData);
    assertTrue(lost.size() <= METADATA_BOUND, where + ", more than " + METADATA_BOUND);

    List<Long> scrubbed = lostChunks(b, s);
    assertTrue(
        scrubbed.stream().anyMatch(c -> c > 0 && c < firstMetadataChunk),
        "seed " + seed + ": scrubbing deleted files changes some data chunk: " + scrubbed);

    // One pass and two passes write the same bytes.
    Path two = tmp.resolve("two-pass.img");
    try (ImageSource source =
        ImageSources.open(new ImageRef.OciLayout(layout, Optional.of("derived")))) {
      LoadedImage img = ImageLoader.load(source, Platform.LINUX_AMD64, LoadListener.NONE);
      new Flattener()
          .flatten(img.tree(), img.content(), two, FlattenOptions.defaults(), FlattenListener.NONE);
    }
    assertArrayEquals(sha(d), sha(two), "seed " + seed + ": one pass == two passes");
  }

  private Path flatten(Path layout, String tag, FlattenOptions options) throws IOException {
    Path out = tmp.resolve(tag + (options.scrubDeleted() ? "-scrubbed" : "") + ".img");
    try (ImageSource source = ImageSources.open(new ImageRef.OciLayout(layout, Optional.of(tag)))) {
      new Flattener()
          .flatten(
              source, Platform.LINUX_AMD64, out, options, LoadListener.NONE, FlattenListener.NONE);
    }
    return out;
  }

  private static Layer baseLayer(Random r, List<String> files, List<String> dirs) {
    List<TarEntry> e = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      String dir = "d" + i + "/";
      dirs.add(dir);
      e.add(directory(dir));
      int n = 3 + r.nextInt(40);
      for (int j = 0; j < n; j++) {
        String name = dir + "f" + j + "-" + "x".repeat(r.nextInt(30));
        int kind = r.nextInt(100);
        if (kind < 8) {
          e.add(symlink(name, kind < 4 ? "short" : "/long/" + "t".repeat(60 + r.nextInt(100))));
          continue;
        }
        TarEntry f = file(name, random(r, size(r)));
        if (kind < 14) {
          f = f.withXattr("user.big", random(r, 200 + r.nextInt(300)));
        } else if (kind < 20) {
          f = f.withXattr("user.small", random(r, 10));
        }
        e.add(f);
        files.add(name);
      }
    }
    return Layer.of(e.toArray(TarEntry[]::new)).compression(Compression.PLAIN);
  }

  private static Layer upperLayer(Random r, List<String> files, List<String> dirs) {
    List<TarEntry> e = new ArrayList<>();
    Set<String> touched = new HashSet<>();
    for (int i = 0; i < 10; i++) {
      String victim = files.get(r.nextInt(files.size()));
      if (touched.add(victim)) {
        e.add(r.nextBoolean() ? whiteout(victim) : file(victim, random(r, size(r))));
      }
    }
    for (int i = 0; i < 8; i++) {
      String dir = dirs.get(r.nextInt(dirs.size()));
      for (int j = 0, n = 1 + r.nextInt(30); j < n; j++) {
        e.add(
            file(dir + "new" + i + "-" + j + "-" + "y".repeat(r.nextInt(40)), random(r, size(r))));
      }
    }
    e.add(directory("added/"));
    for (int j = 0; j < 20; j++) {
      e.add(file("added/g" + j, random(r, size(r))));
    }
    e.add(symlink("added/long", "/" + "u".repeat(100)));
    return Layer.of(e.toArray(TarEntry[]::new)).compression(Compression.PLAIN);
  }

  private static int size(Random r) {
    int k = r.nextInt(100);
    return k < 85
        ? r.nextInt(16 << 10)
        : k < 97 ? r.nextInt(300 << 10) : (600 << 10) + r.nextInt(1 << 20);
  }

  private static byte[] random(Random r, int n) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    return b;
  }

  /** Indexes of the base's non-zero chunks whose bytes appear nowhere in the derived image. */
  private static List<Long> lostChunks(Path base, Path derived) throws IOException {
    Set<String> there = new HashSet<>();
    forEachChunk(derived, (i, h) -> there.add(h));
    List<Long> lost = new ArrayList<>();
    forEachChunk(
        base,
        (i, h) -> {
          if (!there.contains(h)) {
            lost.add(i);
          }
        });
    return lost;
  }

  private static int nonZero(Path image) throws IOException {
    int[] n = {0};
    forEachChunk(image, (i, h) -> n[0]++);
    return n[0];
  }

  private interface ChunkVisitor {
    void visit(long index, String hash);
  }

  private static void forEachChunk(Path image, ChunkVisitor v) throws IOException {
    byte[] zero = new byte[CHUNK];
    try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
      ByteBuffer buf = ByteBuffer.allocate(CHUNK);
      for (long i = 0; i * CHUNK < ch.size(); i++) {
        buf.clear();
        while (buf.hasRemaining() && ch.read(buf, i * CHUNK + buf.position()) > 0) {
          // keep reading
        }
        byte[] a = java.util.Arrays.copyOf(buf.array(), buf.position());
        if (java.util.Arrays.mismatch(a, 0, a.length, zero, 0, a.length) >= 0) {
          v.visit(i, dev.blocklift.core.Hex.encode(Sha256.hash(a)));
        }
      }
    }
  }

  private static byte[] sha(Path p) throws IOException {
    return Sha256.hash(Files.readAllBytes(p));
  }
}
