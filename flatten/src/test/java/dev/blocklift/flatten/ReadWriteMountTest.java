package dev.blocklift.flatten;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kernel mounts the image read-write (no journal needed) and e2fsck stays clean after. */
class ReadWriteMountTest {
  @TempDir Path dir;

  @Test
  void writableAndStillClean() throws Exception {
    Fixtures.Image img = Fixtures.allTypes();
    Path out = dir.resolve("rw.ext4");
    new Flattener()
        .flatten(img.tree(), img.content(), out, FlattenOptions.defaults(), FlattenListener.NONE);
    byte[] data = new byte[3 << 20];
    new java.util.Random(7).nextBytes(data);
    Mounts.withMount(
        out,
        false,
        m -> {
          Files.write(m.resolve("etc/new-file"), data);
          Files.createDirectories(m.resolve("new/dir/tree"));
          for (int i = 0; i < 300; i++) {
            Files.writeString(m.resolve("new/dir/tree/f" + i), "x" + i);
          }
          Files.delete(m.resolve("etc/hostname"));
          Files.writeString(
              m.resolve("etc/tagged"), "appended", java.nio.file.StandardOpenOption.APPEND);
          Files.delete(m.resolve("bin/tool-link"));
          return null;
        });
    Ext4Tools.fsck(out);
    Mounts.withMount(
        out,
        true,
        m -> {
          assertEquals(
              java.util.HexFormat.of().formatHex(data),
              java.util.HexFormat.of().formatHex(Files.readAllBytes(m.resolve("etc/new-file"))));
          assertEquals("abcappended", Files.readString(m.resolve("etc/tagged")));
          return null;
        });
  }

  /**
   * An image numbered by birth, whose directories are cut into per-layer segments (several
   * extents), written in one pass from an OCI layout: the kernel adds entries to such a directory
   * and removes some, and e2fsck stays clean.
   */
  @Test
  void segmentedDirectoriesAreWritable() throws Exception {
    Path layout = dir.resolve("oci");
    dev.blocklift.testing.oci.OciLayoutWriter w =
        dev.blocklift.testing.oci.OciLayoutWriter.create(layout);
    w.tag(
        "latest",
        w.image(dev.blocklift.testing.oci.ImageSpec.linuxAmd64(), UmociEndToEndTest.layers()));
    w.writeIndex();
    Path out = dir.resolve("segmented.ext4");
    try (dev.blocklift.image.ImageSource source =
        dev.blocklift.image.ImageSources.open(
            new dev.blocklift.core.ImageRef.OciLayout(layout, java.util.Optional.of("latest")))) {
      new Flattener()
          .flatten(
              source,
              dev.blocklift.core.Platform.LINUX_AMD64,
              out,
              FlattenOptions.defaults(),
              dev.blocklift.image.LoadListener.NONE,
              FlattenListener.NONE);
    }
    Ext4Tools.fsck(out);
    String extents = Ext4Tools.debugfs(out, "stat /var/lib");
    Mounts.withMount(
        out,
        false,
        m -> {
          for (int i = 0; i < 300; i++) {
            Files.writeString(m.resolve("var/lib/n" + i), "n" + i);
            Files.writeString(m.resolve("usr/bin/n" + i), "n" + i);
          }
          Files.delete(m.resolve("var/lib/after"));
          return null;
        });
    Ext4Tools.fsck(out);
    Mounts.withMount(
        out,
        true,
        m -> {
          assertEquals("n299", Files.readString(m.resolve("var/lib/n299")), extents);
          assertEquals("n7", Files.readString(m.resolve("usr/bin/n7")));
          return null;
        });
  }
}
