package dev.blocklift.flatten;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.CorruptDataException;
import dev.blocklift.image.tree.Attributes;
import dev.blocklift.image.tree.ContentRef;
import dev.blocklift.image.tree.DirectoryNode;
import dev.blocklift.image.tree.FlattenedTree;
import dev.blocklift.image.tree.InvalidNameException;
import dev.blocklift.image.tree.LayerContent;
import dev.blocklift.image.tree.SymlinkNode;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input gets a clear error naming the value, and no output file is left behind. */
class ErrorsTest {
  @TempDir Path dir;

  private Path flattenExpecting(
      Class<? extends Exception> type, FlattenedTree tree, LayerContent content, String message) {
    Path out = dir.resolve("out.ext4");
    Exception e =
        assertThrows(
            type,
            () ->
                new Flattener()
                    .flatten(tree, content, out, FlattenOptions.defaults(), FlattenListener.NONE));
    assertTrue(e.getMessage().contains(message), e.getMessage());
    assertFalse(Files.exists(out), "no output after a failure");
    try (var s = Files.list(dir)) {
      assertTrue(s.findAny().isEmpty(), "no partial file left behind");
    } catch (java.io.IOException io) {
      throw new java.io.UncheckedIOException(io);
    }
    return out;
  }

  @Test
  void layerDeliveringFewerBytesIsCorrupt() {
    FakeLayers l = new FakeLayers();
    int layer = l.addLayer();
    DirectoryNode root = new DirectoryNode(Fixtures.attrs(0755));
    ContentRef ref = l.addRandom(layer, 100_000, 1);
    Fixtures.file(root, "f", 100_000, ref);
    FlattenedTree tree = Fixtures.tree("short", root, l);
    LayerContent shortStream =
        (index, visitor) -> visitor.visit(0, 100_000, new ByteArrayInputStream(new byte[10]));
    flattenExpecting(CorruptDataException.class, tree, shortStream, "ended after 10 of 100000");
  }

  @Test
  void layerSkippingAFileIsCorrupt() {
    FakeLayers l = new FakeLayers();
    int layer = l.addLayer();
    DirectoryNode root = new DirectoryNode(Fixtures.attrs(0755));
    Fixtures.file(root, "f", 10, l.addRandom(layer, 10, 1));
    LayerContent nothing = (index, visitor) -> {};
    flattenExpecting(
        CorruptDataException.class, Fixtures.tree("skip", root, l), nothing, "delivered 0 of");
  }

  @Test
  void referenceToAMissingLayerEntry() {
    FakeLayers l = new FakeLayers();
    l.addLayer();
    DirectoryNode root = new DirectoryNode(Fixtures.attrs(0755));
    Fixtures.file(root, "f", 10, new ContentRef(0, 99));
    flattenExpecting(
        IllegalArgumentException.class, Fixtures.tree("missing", root, l), l, "layer 0 entry 99");
  }

  @Test
  void xattrOutsideExt4Namespaces() {
    FakeLayers l = new FakeLayers();
    l.addLayer();
    DirectoryNode root = new DirectoryNode(Fixtures.attrs(0755));
    TreeMap<String, byte[]> x = new TreeMap<>();
    x.put("bogus.name", new byte[] {1});
    root.put("d", new DirectoryNode(new Attributes(0755, 0, 0, 0, 0, x)));
    flattenExpecting(
        IllegalArgumentException.class, Fixtures.tree("xattr", root, l), l, "bogus.name");
  }

  @Test
  void xattrsTooLargeForOneBlock() {
    FakeLayers l = new FakeLayers();
    l.addLayer();
    DirectoryNode root = new DirectoryNode(Fixtures.attrs(0755));
    TreeMap<String, byte[]> x = new TreeMap<>();
    x.put("user.huge", new byte[5000]);
    root.put("d", new DirectoryNode(new Attributes(0755, 0, 0, 0, 0, x)));
    flattenExpecting(
        IllegalArgumentException.class, Fixtures.tree("xattr2", root, l), l, "too large");
  }

  @Test
  void symlinkTargetTooLong() {
    // A target is a RawPath: at most 4095 bytes (PATH_MAX with its NUL), ext4's limit too.
    Exception e =
        assertThrows(
            InvalidNameException.class,
            () -> new SymlinkNode(Fixtures.attrs(0777), "a".repeat(5000)));
    assertTrue(e.getMessage().contains("longer than PATH_MAX (5000 bytes"), e.getMessage());
  }

  @Test
  void sizeMismatchBetweenTreeAndLayerList() {
    FakeLayers l = new FakeLayers();
    int layer = l.addLayer();
    DirectoryNode root = new DirectoryNode(Fixtures.attrs(0755));
    Fixtures.file(root, "f", 11, l.addRandom(layer, 10, 1));
    flattenExpecting(
        IllegalArgumentException.class, Fixtures.tree("size", root, l), l, "has 10 bytes");
  }

  @Test
  void optionsRejectAbsurdMinimum() {
    assertThrows(
        IllegalArgumentException.class,
        () -> new FlattenOptions(dev.blocklift.core.ByteSize.ofGiB(1L << 20)));
  }
}
