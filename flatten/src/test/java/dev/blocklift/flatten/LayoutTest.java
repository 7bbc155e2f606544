package dev.blocklift.flatten;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.image.tree.ContentRef;
import dev.blocklift.image.tree.DirectoryNode;
import dev.blocklift.image.tree.FileNode;
import dev.blocklift.image.tree.FlattenedTree;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The dedup layout: lower layers' data stays put when upper layers change. */
class LayoutTest {
  static final int CHUNK = 512 * 1024;

  @TempDir Path dir;

  /** A base layer and, optionally, an upper layer that deletes, replaces and adds files. */
  record Pair(Fixtures.Image base, Fixtures.Image derived, java.util.Set<ContentRef> holes) {}

  static Pair pair(long seed, long upperExtra) {
    SplittableRandom r = new SplittableRandom(seed);
    FakeLayers baseLayers = new FakeLayers();
    FakeLayers derivedLayers = new FakeLayers();
    int b0 = baseLayers.addLayer();
    int d0 = derivedLayers.addLayer();
    int d1 = derivedLayers.addLayer();
    DirectoryNode baseRoot = new DirectoryNode(Fixtures.attrs(0755));
    DirectoryNode derivedRoot = new DirectoryNode(Fixtures.attrs(0755));
    java.util.Set<ContentRef> holes = new java.util.HashSet<>();
    int n = 40 + r.nextInt(40);
    int victim = r.nextInt(n);
    for (int i = 0; i < n; i++) {
      long size = r.nextInt(4) == 0 ? 300_000 + r.nextInt(3_000_000) : r.nextInt(60_000);
      long s = r.nextLong();
      ContentRef br = size == 0 ? null : baseLayers.addRandom(b0, size, s);
      ContentRef dr = size == 0 ? null : derivedLayers.addRandom(d0, size, s);
      Fixtures.file(baseRoot, "f" + i, size, br);
      if (i == victim || i == 0) {
        holes.add(dr); // the derived image's upper layer deletes (victim) or replaces (f0) it
      }
      if (i != victim) {
        Fixtures.file(derivedRoot, "f" + i, size, dr);
      }
    }
    byte[] extra = "added by the upper layer".getBytes(Fixtures.UTF8);
    Fixtures.file(derivedRoot, "added", extra.length, derivedLayers.add(d1, extra));
    Fixtures.file(derivedRoot, "f0", 7, derivedLayers.add(d1, "replace".getBytes(Fixtures.UTF8)));
    if (upperExtra > 0) {
      Fixtures.file(derivedRoot, "huge", upperExtra, derivedLayers.addSparse(d1, upperExtra, 5));
    }
    return new Pair(
        new Fixtures.Image(Fixtures.tree("base", baseRoot, baseLayers), baseLayers),
        new Fixtures.Image(Fixtures.tree("derived", derivedRoot, derivedLayers), derivedLayers),
        holes);
  }

  @ParameterizedTest(name = "upper layer adds {0} bytes")
  @ValueSource(longs = {0, 300L << 20})
  void baseChunksReappearInDerivedImage(long upperExtra) throws Exception {
    long seed = 42 + upperExtra;
    Pair p = pair(seed, upperExtra);
    Path base = dir.resolve("base.ext4");
    Path derived = dir.resolve("derived.ext4");
    FlattenResult rb = flatten(p.base(), base);
    FlattenResult rd = flatten(p.derived(), derived);
    if (upperExtra > 0) {
      assertNotEquals(rb.deviceBytes(), rd.deviceBytes(), "expected a bigger size class");
    }
    Ext4Tools.fsck(base);
    Ext4Tools.fsck(derived);
    // Where the deleted file lived (derived image's layer 0 == base's layer 0, same positions).
    InodeCatalog c = InodeCatalog.compact(p.base().tree().root());
    DataLayout l = DataLayout.plan(c, p.base().tree().layers());
    java.util.List<long[]> holes = new java.util.ArrayList<>();
    for (int ino = InodeCatalog.FIRST_INODE; ino <= c.maxInode(); ino++) {
      if (c.node(ino) instanceof FileNode f
          && f.content().isPresent()
          && p.holes().contains(f.content().get())) {
        holes.add(new long[] {l.start(ino) * 4096, l.start(ino) * 4096 + f.size()});
      }
    }
    long from = Geometry.DATA_START * 4096;
    long to = l.dataEnd() * 4096;
    int shared = 0;
    int total = 0;
    int skipped = 0;
    try (RandomAccessFile fb = new RandomAccessFile(base.toFile(), "r");
        RandomAccessFile fd = new RandomAccessFile(derived.toFile(), "r")) {
      byte[] cb = new byte[CHUNK];
      byte[] cd = new byte[CHUNK];
      for (long off = from; off < to; off += CHUNK) {
        fb.seek(off);
        fb.readFully(cb);
        fd.seek(off);
        fd.readFully(cd);
        long o = off;
        boolean overlapsHole = holes.stream().anyMatch(h -> o < h[1] && o + CHUNK > h[0]);
        if (java.util.Arrays.equals(cb, new byte[CHUNK])) {
          continue;
        }
        total++;
        if (overlapsHole) {
          skipped++;
          continue;
        }
        assertArrayEquals(cb, cd, "seed " + seed + ": base chunk at " + off + " moved");
        shared++;
      }
    }
    assertTrue(
        shared > 0 && shared + skipped == total, "seed " + seed + ": " + shared + "/" + total);
    System.out.printf(
        "upper +%d bytes: %d of %d non-zero base data chunks identical in the derived image"
            + " (devices %d / %d MiB)%n",
        upperExtra, shared, total, rb.deviceBytes() >> 20, rd.deviceBytes() >> 20);
  }

  private static FlattenResult flatten(Fixtures.Image img, Path out) throws Exception {
    return new Flattener()
        .flatten(img.tree(), img.content(), out, FlattenOptions.defaults(), FlattenListener.NONE);
  }

  @Test
  void layersAndLargeFilesStartOnChunkBoundariesAndHolesKeepPositions() {
    FakeLayers l = new FakeLayers();
    int a = l.addLayer();
    int b = l.addLayer();
    DirectoryNode root = new DirectoryNode(Fixtures.attrs(0755));
    ContentRef small1 = l.addRandom(a, 1000, 1);
    ContentRef gone = l.addRandom(a, 100_000, 2); // not in the tree: a hole
    ContentRef large = l.addRandom(a, CHUNK, 3);
    ContentRef small2 = l.addRandom(a, 5000, 4);
    ContentRef upper = l.addRandom(b, 10, 5);
    Fixtures.file(root, "small1", 1000, small1);
    Fixtures.file(root, "large", CHUNK, large);
    Fixtures.file(root, "small2", 5000, small2);
    FileNode up = Fixtures.file(root, "upper", 10, upper);
    root.put("up-link", up);
    FlattenedTree tree = Fixtures.tree("layout", root, l);
    InodeCatalog c = InodeCatalog.compact(tree.root());
    DataLayout layout = DataLayout.plan(c, tree.layers());
    long s1 = start(c, layout, root, "small1");
    long lg = start(c, layout, root, "large");
    long s2 = start(c, layout, root, "small2");
    long u = start(c, layout, root, "upper");
    assertEquals(Geometry.DATA_START, s1, "layer 0 starts at 1 MiB");
    assertEquals(0, lg % 128, "a file of >= 512 KiB starts on a chunk boundary");
    assertTrue(lg >= s1 + 1 + 25, "the deleted file's 25 blocks stay reserved");
    assertEquals(lg + 128, s2, "tar order within a layer");
    assertEquals(0, u % 128, "each layer starts on a chunk boundary");
    assertTrue(u > s2);
    assertTrue(gone.entryIndex() == 1);
  }

  private static long start(InodeCatalog c, DataLayout l, DirectoryNode root, String name) {
    return l.start(c.inodeOf(root.get(name)));
  }
}
