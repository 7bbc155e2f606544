package dev.blocklift.image;

import static dev.blocklift.testing.oci.TarEntry.directory;
import static dev.blocklift.testing.oci.TarEntry.file;
import static dev.blocklift.testing.oci.TarEntry.hardLink;
import static dev.blocklift.testing.oci.TarEntry.opaque;
import static dev.blocklift.testing.oci.TarEntry.symlink;
import static dev.blocklift.testing.oci.TarEntry.whiteout;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.CorruptDataException;
import dev.blocklift.core.ImageRef;
import dev.blocklift.testing.TreeSnapshot;
import dev.blocklift.testing.oci.Compression;
import dev.blocklift.testing.oci.Layer;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Path rules for odd and hostile layers, each checked against the real {@code umoci unpack}. What
 * umoci does (and so blocklift does, in its in-memory tree, never on disk):
 *
 * <ul>
 *   <li>{@code ../../up/x} is clamped at the root ({@code /up/x}); {@code /abs/y} loses its slash;
 *   <li>a symlink in the parent path is followed inside the rootfs: {@code etc -> /} then {@code
 *       etc/passwd} writes {@code /passwd}; {@code etc2 -> ../../real} then {@code etc2/z} writes
 *       {@code /real/z};
 *   <li>missing parents are created (umoci stamps them with the wall clock, blocklift with the
 *       image's created time; those mtimes are not compared);
 *   <li>a hard link to a symlink links the symlink itself; a hard link's own mode/owner/mtime are
 *       ignored; duplicate entries: the last one wins; a whiteout of a same-layer entry is ignored;
 *   <li>loops, files used as directories, hard links to missing targets or to directories: umoci
 *       fails, blocklift throws a CorruptDataException naming layer and entry. (A hard link to
 *       itself, which umoci also rejects, is a harmless no-op here.)
 * </ul>
 */
class UmociSemanticsTest {
  @TempDir Path tmp;

  private void assertMatchesUmoci(String name, Set<String> wallClockDirs, Layer... layers)
      throws Exception {
    for (Layer l : layers) {
      l.compression(Compression.PLAIN);
    }
    Path layout = Fixtures.layout(tmp.resolve(name), layers);
    TreeSnapshot umoci = Fixtures.umoci(layout, tmp.resolve(name + "-bundle"));
    TreeSnapshot ours =
        Fixtures.loadSnapshot(new ImageRef.OciLayout(layout, Optional.of("latest")));
    java.util.function.BiFunction<String, TreeSnapshot.Entry, TreeSnapshot.Entry> mask =
        (p, e) -> wallClockDirs.contains(p) ? e.withMtime(0) : e;
    umoci.map(mask).assertSameAs(ours.map(mask), name + ": umoci vs blocklift");
  }

  @Test
  void escapingPathsAreClampedInsideTheRoot() throws Exception {
    assertMatchesUmoci(
        "clamp",
        Set.of("/", "/up", "/abs", "/a", "/a/b"),
        Layer.of(file("../../up/x", "up"), file("/abs/y", "abs"), file("a/b/../../a/b/c", "c")));
  }

  @Test
  void symlinkedParentsResolveInsideTheRoot() throws Exception {
    assertMatchesUmoci(
        "symlink-parents",
        Set.of("/", "/real"),
        Layer.of(
            symlink("etc", "/"), symlink("etc2", "../../real"), directory("t/"), symlink("s", "t")),
        Layer.of(file("etc/passwd", "p"), file("etc2/z", "z"), directory("s/"), file("s/x", "x")));
  }

  @Test
  void hardLinkRulesMatchUmoci() throws Exception {
    assertMatchesUmoci(
        "hardlinks",
        Set.of(),
        Layer.of(
            file("target", "t"),
            symlink("sl", "target"),
            file("h", "h").withMode(0600).withMtime(5, 0)),
        Layer.of(
            hardLink("hl", "sl"),
            hardLink("h2", "h").withMode(0777).withMtime(99, 0).withOwner(9, 9)));
  }

  @Test
  void duplicatesSameLayerWhiteoutsAndRootEntryMatchUmoci() throws Exception {
    assertMatchesUmoci(
        "duplicates",
        // umoci stamps /d with the wall clock when the opaque marker empties it
        Set.of("/d", "/d/sub"),
        Layer.of(
            directory("./").withMode(0700).withMtime(12345, 0),
            file("a", "1"),
            file("a", "2").withMode(0600),
            directory("d/"),
            directory("d/").withMode(0700),
            file("d/lower", "l"),
            file("w", "same layer"),
            whiteout("w")),
        Layer.of(file("d/sub/x", "x"), opaque("d"), opaque("missing"), whiteout("nodir/x")));
  }

  private void assertBothReject(String name, String messagePart, Layer... layers) throws Exception {
    for (Layer l : layers) {
      l.compression(Compression.PLAIN);
    }
    Path layout = Fixtures.layout(tmp.resolve(name), layers);
    assertNotEquals(
        0, Fixtures.umociResult(layout, tmp.resolve(name + "-bundle")).exitCode(), name);
    CorruptDataException e =
        assertThrows(
            CorruptDataException.class,
            () -> Fixtures.loadSnapshot(new ImageRef.OciLayout(layout, Optional.of("latest"))));
    assertTrue(e.getMessage().contains(messagePart), e.getMessage());
    assertTrue(
        e.getMessage().startsWith("layer " + (layers.length - 1) + " (sha256:"), e.getMessage());
    assertTrue(e.getMessage().contains(" entry #"), e.getMessage());
  }

  @Test
  void symlinkLoopIsAnError() throws Exception {
    assertBothReject(
        "loop",
        "too many levels of symbolic links",
        Layer.of(symlink("loop1", "loop2"), symlink("loop2", "loop1"), file("loop1/x", "x")));
  }

  @Test
  void fileUsedAsDirectoryIsAnError() throws Exception {
    assertBothReject(
        "file-parent", "\"f\" is not a directory", Layer.of(file("f", "f"), file("f/g", "g")));
  }

  @Test
  void hardLinkToMissingTargetIsAnError() throws Exception {
    assertBothReject(
        "hl-missing",
        "\"missing\" does not exist",
        Layer.of(file("x", "x")),
        Layer.of(hardLink("h", "missing")));
  }

  @Test
  void hardLinkToDirectoryIsAnError() throws Exception {
    assertBothReject("hl-dir", "is a directory", Layer.of(directory("d/"), hardLink("h", "d")));
  }

  @Test
  void hardLinkToItselfIsANoOp() throws Exception {
    Path layout =
        Fixtures.layout(tmp.resolve("self"), Layer.of(file("a", "a"), hardLink("a", "a")));
    TreeSnapshot s = Fixtures.loadSnapshot(new ImageRef.OciLayout(layout, Optional.of("latest")));
    assertEquals(TreeSnapshot.Type.FILE, s.entries().get("/a").type());
    assertEquals("", s.entries().get("/a").hardLinkGroup());
  }
}
