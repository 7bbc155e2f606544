package dev.blocklift.image;

import static dev.blocklift.testing.oci.TarEntry.directory;
import static dev.blocklift.testing.oci.TarEntry.file;
import static dev.blocklift.testing.oci.TarEntry.hardLink;
import static dev.blocklift.testing.oci.TarEntry.symlink;
import static dev.blocklift.testing.oci.TarEntry.whiteout;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.CorruptDataException;
import dev.blocklift.core.ImageRef;
import dev.blocklift.core.Platform;
import dev.blocklift.core.Sha256;
import dev.blocklift.image.tree.Births;
import dev.blocklift.image.tree.DirectoryNode;
import dev.blocklift.image.tree.Node;
import dev.blocklift.testing.oci.Compression;
import dev.blocklift.testing.oci.Layer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The single pass: a {@link FileDataSink} sees every file entry's bytes while the tree is built
 * (the same bytes a second pass over {@link LoadedImage#content()} delivers), and every node gets
 * the birth of the layer that created it.
 */
class OnePassLoadTest {
  @TempDir Path tmp;

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {5, 6})
  void sinkSeesWhatTheSecondPassSees(long seed) throws Exception {
    Random r = new Random(seed);
    List<dev.blocklift.testing.oci.TarEntry> lower = new ArrayList<>();
    lower.add(directory("d/"));
    for (int i = 0; i < 30; i++) {
      byte[] b = new byte[r.nextInt(200_000)];
      r.nextBytes(b);
      lower.add(file("d/f" + i, b));
    }
    Layer l0 = Layer.of(lower.toArray(dev.blocklift.testing.oci.TarEntry[]::new));
    Layer l1 =
        Layer.of(whiteout("d/f3"), file("d/f4", "replaced"), file("e/new", "implicit parent"))
            .compression(Compression.ZSTD);
    Path layout = Fixtures.layout(tmp.resolve("oci"), l0, l1);
    Map<String, byte[]> seen = new HashMap<>();
    LoadedImage img;
    try (ImageSource source =
        ImageSources.open(new ImageRef.OciLayout(layout, Optional.of("latest")))) {
      img =
          ImageLoader.load(
              source,
              Platform.LINUX_AMD64,
              LoadListener.NONE,
              (layer, entry, size, data) -> {
                byte[] all = data.readAllBytes();
                assertEquals(size, all.length, "seed " + seed);
                seen.put(layer + "/" + entry, Sha256.hash(all));
              });
      Map<String, byte[]> again = new HashMap<>();
      for (int layer = 0; layer < 2; layer++) {
        int l = layer;
        img.content()
            .forEachFile(
                l, (entry, size, in) -> again.put(l + "/" + entry, Sha256.hash(in.readAllBytes())));
      }
      assertEquals(again.keySet(), seen.keySet(), "seed " + seed);
      for (String k : again.keySet()) {
        assertArrayEquals(again.get(k), seen.get(k), "seed " + seed + " entry " + k);
      }
    }
    assertEquals(30 + 2, seen.size(), "every file entry, dead or alive");
  }

  @Test
  void birthsFollowTheCreatingLayer() throws Exception {
    Layer l0 =
        Layer.of(
            directory("a/"),
            file("a/x", "x"),
            symlink("a/s", "x"),
            directory("b/"),
            file("a/y", "y"));
    Layer l1 =
        Layer.of(
            directory("a/").withMode(0700), // attributes only: keeps its birth
            file("a/x", "replaced"),
            hardLink("b/link", "a/y"),
            file("c/d/new", "n"));
    LoadedImage img = Fixtures.load(Fixtures.layout(tmp.resolve("oci"), l0, l1));
    Births births = img.tree().births();
    DirectoryNode root = img.tree().root();
    DirectoryNode a = (DirectoryNode) root.get("a");
    DirectoryNode c = (DirectoryNode) root.get("c");
    assertEquals(0, births.layer(a));
    assertEquals(0, births.ordinal(a), "first directory of layer 0");
    assertEquals(1, births.ordinal(root.get("b")));
    assertEquals(1, births.layer(a.get("x")), "a replaced file is born again");
    assertEquals(0, births.layer(a.get("s")));
    Node y = a.get("y");
    assertEquals(0, births.layer(y));
    assertEquals(y, ((DirectoryNode) root.get("b")).get("link"), "a hard link is the same node");
    assertEquals(1, births.layer(c), "an implicit parent is born with its child");
    assertEquals(1, births.layer(c.get("d")));
    assertEquals(2, births.directories(0));
    assertEquals(3, births.others(0), "x, s, y (the old x is dead but was born)");
    assertEquals(2, births.directories(1));
    assertEquals(2, births.others(1));
    assertFalse(births.known(root), "the root is not born from an entry");
    assertTrue(births.known(y));
  }

  @Test
  void aSinkFailureStopsTheLoad() throws Exception {
    Path layout = Fixtures.layout(tmp.resolve("oci"), Layer.of(file("f", "data")));
    try (ImageSource source =
        ImageSources.open(new ImageRef.OciLayout(layout, Optional.of("latest")))) {
      CorruptDataException e =
          assertThrows(
              CorruptDataException.class,
              () ->
                  ImageLoader.load(
                      source,
                      Platform.LINUX_AMD64,
                      LoadListener.NONE,
                      (layer, entry, size, data) -> {
                        throw new CorruptDataException("sink refused " + entry);
                      }));
      assertTrue(e.getMessage().contains("sink refused 0"), e.getMessage());
    }
  }
}
