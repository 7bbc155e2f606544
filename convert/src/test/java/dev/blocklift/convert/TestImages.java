package dev.blocklift.convert;

import static dev.blocklift.testing.oci.TarEntry.directory;
import static dev.blocklift.testing.oci.TarEntry.file;
import static dev.blocklift.testing.oci.TarEntry.symlink;
import static dev.blocklift.testing.oci.TarEntry.whiteout;

import dev.blocklift.core.ImageRef;
import dev.blocklift.testing.oci.ImageSpec;
import dev.blocklift.testing.oci.Layer;
import dev.blocklift.testing.oci.OciLayoutWriter;
import dev.blocklift.testing.oci.TarEntry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/**
 * OCI images for conversion tests: two gzip layers of a few MiB with what real images have (random
 * and compressible files, files of 512 KiB and more, a file twice, files ending in zero blocks, an
 * all-zero file, symlinks, files an upper layer replaces or deletes).
 */
final class TestImages {
  private TestImages() {}

  /** Writes an OCI layout with tag {@code app} into {@code dir}; returns its reference. */
  static ImageRef app(Path dir, long seed) throws IOException {
    Random r = new Random(seed);
    OciLayoutWriter w = OciLayoutWriter.create(dir);
    List<TarEntry> base = new ArrayList<>();
    List<String> names = new ArrayList<>();
    base.add(directory("etc/"));
    base.add(file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n".repeat(40)));
    base.add(directory("usr/"));
    base.add(directory("usr/lib/"));
    byte[] twice = random(r, 700 << 10);
    base.add(file("usr/lib/big-a", twice));
    for (int i = 0; i < 60; i++) {
      String name = "usr/lib/f" + i;
      names.add(name);
      int kind = r.nextInt(4);
      byte[] b =
          switch (kind) {
            case 0 -> random(r, r.nextInt(64 << 10));
            case 1 -> text(r, r.nextInt(200 << 10));
            case 2 -> zeroTail(random(r, 4096 + r.nextInt(100 << 10)), 3 * 4096);
            default -> text(r, 300 << 10);
          };
      base.add(file(name, b));
    }
    base.add(file("usr/lib/big-b", twice));
    base.add(file("usr/lib/zeros", new byte[1 << 20]));
    base.add(symlink("usr/lib/link", "f1"));
    List<TarEntry> upper = new ArrayList<>();
    upper.add(file(names.get(3), text(r, 50 << 10)));
    upper.add(whiteout(names.get(7)));
    upper.add(directory("opt/"));
    for (int i = 0; i < 20; i++) {
      upper.add(file("opt/g" + i, i % 2 == 0 ? random(r, 40 << 10) : text(r, 90 << 10)));
    }
    w.tag(
        "app",
        w.image(
            ImageSpec.linuxAmd64(),
            Layer.of(base.toArray(TarEntry[]::new)),
            Layer.of(upper.toArray(TarEntry[]::new))));
    w.writeIndex();
    return new ImageRef.OciLayout(dir, Optional.of("app"));
  }

  private static byte[] random(Random r, int n) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    return b;
  }

  /** Compressible: words from a small vocabulary. */
  private static byte[] text(Random r, int n) {
    String[] words = {"lorem ", "ipsum ", "dolor ", "sit ", "amet\n", "blocklift ", "chunk "};
    StringBuilder sb = new StringBuilder(n + 16);
    while (sb.length() < n) {
      sb.append(words[r.nextInt(words.length)]);
    }
    return sb.substring(0, n).getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] zeroTail(byte[] b, int zeros) {
    byte[] out = java.util.Arrays.copyOf(b, b.length + zeros);
    return out;
  }
}
