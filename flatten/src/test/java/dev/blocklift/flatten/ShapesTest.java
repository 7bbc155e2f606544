package dev.blocklift.flatten;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.testing.TreeSnapshot;
import java.nio.file.Path;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Many tree shapes through the writer, each checked by the real tools: {@code e2fsck -fn} must be
 * clean, and a read-only loop mount must show exactly the tree that was written.
 */
class ShapesTest {
  @TempDir Path dir;

  static Stream<Arguments> shapes() {
    return Stream.of(
        shape("empty", Fixtures::empty),
        shape("all node types", Fixtures::allTypes),
        shape("deep tree (400 levels)", () -> Fixtures.deep(400)),
        shape("20k-entry directory", () -> Fixtures.wide(20_000)),
        shape("600 MiB sparse file (extent index)", () -> Fixtures.bigFile(600L << 20, true)),
        shape("140 MiB random file (2 extents)", () -> Fixtures.bigFile(140L << 20, false)));
  }

  private static Arguments shape(String name, Supplier<Fixtures.Image> s) {
    return Arguments.of(name, s);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("shapes")
  void fsckCleanAndMountShowsTheTree(String name, Supplier<Fixtures.Image> shape) throws Exception {
    check(shape.get(), name);
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4})
  void randomTrees(long seed) throws Exception {
    check(RandomTrees.build(seed), "random tree, seed " + seed);
  }

  private void check(Fixtures.Image img, String what) throws Exception {
    Path out = dir.resolve("image.ext4");
    long t0 = System.nanoTime();
    FlattenResult r =
        new Flattener()
            .flatten(
                img.tree(), img.content(), out, FlattenOptions.defaults(), FlattenListener.NONE);
    assertEquals(r.deviceBytes(), java.nio.file.Files.size(out), what);
    long t1 = System.nanoTime();
    assertTrue(Ext4Tools.fsck(out).stdout().contains("Pass 5"), what);
    long t2 = System.nanoTime();
    TreeSnapshot expected = ModelSnapshot.of(img.tree(), img.content());
    long t3 = System.nanoTime();
    TreeSnapshot actual = Mounts.snapshot(out);
    long t4 = System.nanoTime();
    System.out.printf(
        "%s: flatten %d ms, e2fsck %d ms, model %d ms, mount+walk %d ms%n",
        what,
        (t1 - t0) / 1_000_000,
        (t2 - t1) / 1_000_000,
        (t3 - t2) / 1_000_000,
        (t4 - t3) / 1_000_000);
    expected.assertSameAs(actual, what + ": model vs loop mount");
  }
}
