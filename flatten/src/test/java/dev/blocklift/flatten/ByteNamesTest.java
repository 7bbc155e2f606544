package dev.blocklift.flatten;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.ImageRef;
import dev.blocklift.core.Platform;
import dev.blocklift.image.ImageSource;
import dev.blocklift.image.ImageSources;
import dev.blocklift.image.LoadListener;
import dev.blocklift.testing.oci.Compression;
import dev.blocklift.testing.oci.ImageSpec;
import dev.blocklift.testing.oci.Layer;
import dev.blocklift.testing.oci.OciLayoutWriter;
import dev.blocklift.testing.oci.TarEntry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * File names are bytes from the tar to ext4: names that are not UTF-8 ({@code \xff}, {@code \xfe},
 * truncated and overlong sequences, encoded surrogates) stay distinct and exact, as umoci keeps
 * them, through ustar fields, PAX path records (with hdrcharset=BINARY, as GNU tar writes them),
 * GNU long names, directories, whiteouts, hard link targets and symlink targets. debugfs, which
 * reads the image itself, is the oracle.
 */
class ByteNamesTest {
  @TempDir Path tmp;

  /** What the test expects at a path: a directory, a file's bytes, a symlink's target. */
  @SuppressWarnings("ArrayRecordComponent") // test values, never shared
  private record Expect(char type, byte[] bytes, String sameInodeAs) {}

  /** Names whose UTF-8 decoding with replacement collides, and near misses that must not. */
  private static final byte[][] TRICKY = {
    {(byte) 0xff},
    {(byte) 0xfe},
    {(byte) 0x80},
    {(byte) 0xc3}, // a truncated two-byte sequence
    {(byte) 0xc3, (byte) 0xa9}, // é, NFC
    {'e', (byte) 0xcc, (byte) 0x81}, // é, NFD
    {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, // an encoded surrogate
    {(byte) 0xc0, (byte) 0xaf}, // an overlong '/'
    {(byte) 0xef, (byte) 0xbf, (byte) 0xbd}, // U+FFFD itself
    {'a', (byte) 0xff, 'b'},
    {'a', (byte) 0xfe, 'b'},
  };

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
  void everyByteNameSurvivesExactly(long seed) throws Exception {
    SplittableRandom r = new SplittableRandom(seed);
    Map<String, Expect> expected = new TreeMap<>();
    Set<String> taken = new HashSet<>();
    List<List<byte[]>> dirs = new ArrayList<>();
    dirs.add(List.of());
    List<List<byte[]>> files = new ArrayList<>();

    List<TarEntry> base = new ArrayList<>();
    for (byte[] name : TRICKY) {
      List<byte[]> path = List.of(name);
      taken.add(DebugfsTree.key(path));
      files.add(path);
      base.add(file(r, path, expected));
    }
    for (int i = 0, n = 3 + r.nextInt(3); i < n; i++) {
      List<byte[]> parent = dirs.get(r.nextInt(dirs.size()));
      if (parent.size() >= 2) {
        continue;
      }
      List<byte[]> path = child(r, parent, taken);
      dirs.add(path);
      expected.put(DebugfsTree.key(path), new Expect('d', null, null));
      base.add(named(TarEntry.directory("d"), r, tarPath(path, true)));
    }
    for (int i = 0, n = 20 + r.nextInt(20); i < n; i++) {
      List<byte[]> path = child(r, dirs.get(r.nextInt(dirs.size())), taken);
      files.add(path);
      base.add(file(r, path, expected));
    }
    for (int i = 0, n = 2 + r.nextInt(4); i < n; i++) {
      List<byte[]> path = child(r, dirs.get(r.nextInt(dirs.size())), taken);
      byte[] target = randomBytes(r, 1 + (r.nextBoolean() ? r.nextInt(50) : r.nextInt(200)), true);
      expected.put(DebugfsTree.key(path), new Expect('l', target, null));
      base.add(named(TarEntry.symlink("s", "t"), r, tarPath(path, false)).withLinkBytes(target));
    }

    List<TarEntry> upper = new ArrayList<>();
    List<List<byte[]>> survivors = new ArrayList<>();
    for (List<byte[]> f : files) {
      if (f.getLast().length <= 251 && r.nextInt(5) == 0) {
        List<byte[]> wh = new ArrayList<>(f.subList(0, f.size() - 1));
        wh.add(DebugfsTree.concat(".wh.".getBytes(StandardCharsets.US_ASCII), f.getLast()));
        upper.add(named(TarEntry.file("w", new byte[0]), r, tarPath(wh, false)));
        expected.remove(DebugfsTree.key(f));
      } else {
        survivors.add(f);
      }
    }
    for (int i = 0, n = 2 + r.nextInt(4); i < n && !survivors.isEmpty(); i++) {
      List<byte[]> target = survivors.get(r.nextInt(survivors.size()));
      List<byte[]> path = child(r, dirs.get(r.nextInt(dirs.size())), taken);
      Expect t = expected.get(DebugfsTree.key(target));
      expected.put(DebugfsTree.key(path), new Expect('f', t.bytes(), DebugfsTree.key(target)));
      upper.add(
          named(TarEntry.hardLink("h", "t"), r, tarPath(path, false))
              .withLinkBytes(tarPath(target, false)));
    }
    for (int i = 0, n = 5 + r.nextInt(10); i < n; i++) {
      upper.add(file(r, child(r, dirs.get(r.nextInt(dirs.size())), taken), expected));
    }

    Path image = flatten(layer(base), layer(upper));
    Map<String, DebugfsTree.Entry> actual = DebugfsTree.read(image);
    for (Map.Entry<String, Expect> e : expected.entrySet()) {
      String where = "seed " + seed + ": " + DebugfsTree.show(e.getKey());
      DebugfsTree.Entry a = actual.get(e.getKey());
      assertTrue(a != null, where + " is missing; the image has " + shown(actual.keySet()));
      Expect x = e.getValue();
      switch (x.type()) {
        case 'd' -> assertTrue(a.isDirectory(), where + " is not a directory");
        case 'f' -> {
          assertTrue(a.isFile(), where + " is not a file");
          assertArrayEquals(x.bytes(), a.bytes(), where + ": content");
        }
        default -> {
          assertTrue(a.isSymlink(), where + " is not a symlink");
          assertArrayEquals(x.bytes(), a.bytes(), where + ": symlink target");
        }
      }
      if (x.sameInodeAs() != null) {
        assertEquals(actual.get(x.sameInodeAs()).inode(), a.inode(), where + ": hard link");
      }
    }
    assertEquals(shown(expected.keySet()), shown(actual.keySet()), "seed " + seed);
  }

  @Test
  void whiteoutOfOneByteNameLeavesItsLookalike() throws Exception {
    byte[] ff = {(byte) 0xff};
    byte[] fe = {(byte) 0xfe};
    Layer base =
        layer(
            List.of(
                TarEntry.file("x", "ff").withNameBytes(ff),
                TarEntry.file("x", "fe").withNameBytes(fe)));
    Layer upper = layer(List.of(TarEntry.file("x", new byte[0]).withNameBytes(wh(ff))));
    Map<String, DebugfsTree.Entry> actual = DebugfsTree.read(flatten(base, upper));
    assertEquals(Set.of(DebugfsTree.key(List.of(fe))), actual.keySet());
    assertArrayEquals(
        "fe".getBytes(StandardCharsets.US_ASCII), actual.values().iterator().next().bytes());
  }

  private static byte[] wh(byte[] name) {
    return DebugfsTree.concat(".wh.".getBytes(StandardCharsets.US_ASCII), name);
  }

  private Path flatten(Layer... layers) throws Exception {
    Path layout = tmp.resolve("oci-" + System.nanoTime());
    OciLayoutWriter w = OciLayoutWriter.create(layout);
    w.tag("latest", w.image(ImageSpec.linuxAmd64(), layers));
    w.writeIndex();
    Path out = layout.resolveSibling(layout.getFileName() + ".img");
    try (ImageSource source =
        ImageSources.open(new ImageRef.OciLayout(layout, Optional.of("latest")))) {
      new Flattener()
          .flatten(
              source,
              Platform.LINUX_AMD64,
              out,
              FlattenOptions.defaults(),
              LoadListener.NONE,
              FlattenListener.NONE);
    }
    Ext4Tools.fsck(out);
    return out;
  }

  private static Layer layer(List<TarEntry> entries) {
    return Layer.of(entries.toArray(TarEntry[]::new)).compression(Compression.PLAIN);
  }

  private static TarEntry file(
      SplittableRandom r, List<byte[]> path, Map<String, Expect> expected) {
    byte[] content =
        ("content of " + DebugfsTree.show(DebugfsTree.key(path)) + "\n")
            .getBytes(StandardCharsets.US_ASCII);
    expected.put(DebugfsTree.key(path), new Expect('f', content, null));
    return named(TarEntry.file("f", content), r, tarPath(path, false));
  }

  /** The entry under a byte name, half the time with GNU long-name records instead of PAX. */
  private static TarEntry named(TarEntry e, SplittableRandom r, byte[] name) {
    TarEntry n = e.withNameBytes(name);
    return r.nextBoolean() ? n.withGnuLongNames() : n;
  }

  private static byte[] tarPath(List<byte[]> components, boolean directory) {
    java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < components.size(); i++) {
      if (i > 0) {
        b.write('/');
      }
      b.writeBytes(components.get(i));
    }
    if (directory) {
      b.write('/');
    }
    return b.toByteArray();
  }

  /** A new random name in {@code parent}, not taken yet. */
  private static List<byte[]> child(SplittableRandom r, List<byte[]> parent, Set<String> taken) {
    while (true) {
      byte[] name =
          randomBytes(r, r.nextInt(8) == 0 ? 100 + r.nextInt(156) : 1 + r.nextInt(12), false);
      String s = new String(name, StandardCharsets.ISO_8859_1);
      if (s.equals(".") || s.equals("..") || s.startsWith(".wh.")) {
        continue;
      }
      List<byte[]> path = new ArrayList<>(parent);
      path.add(name);
      if (taken.add(DebugfsTree.key(path))) {
        return path;
      }
    }
  }

  /** Random non-NUL bytes, mostly above 0x7f; '/' only if {@code slashes}. */
  private static byte[] randomBytes(SplittableRandom r, int length, boolean slashes) {
    byte[] b = new byte[length];
    for (int i = 0; i < length; i++) {
      int v;
      do {
        v = r.nextInt(3) == 0 ? 1 + r.nextInt(127) : 0x80 + r.nextInt(128);
      } while (v == '/' && !slashes);
      b[i] = (byte) v;
    }
    return b;
  }

  private static List<String> shown(Set<String> keys) {
    return keys.stream().map(DebugfsTree::show).sorted().toList();
  }
}
