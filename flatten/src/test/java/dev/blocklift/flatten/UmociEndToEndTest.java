package dev.blocklift.flatten;

import static dev.blocklift.testing.oci.TarEntry.blockDevice;
import static dev.blocklift.testing.oci.TarEntry.charDevice;
import static dev.blocklift.testing.oci.TarEntry.directory;
import static dev.blocklift.testing.oci.TarEntry.fifo;
import static dev.blocklift.testing.oci.TarEntry.file;
import static dev.blocklift.testing.oci.TarEntry.hardLink;
import static dev.blocklift.testing.oci.TarEntry.opaque;
import static dev.blocklift.testing.oci.TarEntry.symlink;
import static dev.blocklift.testing.oci.TarEntry.whiteout;

import dev.blocklift.core.ImageRef;
import dev.blocklift.core.Platform;
import dev.blocklift.image.ImageLoader;
import dev.blocklift.image.ImageSource;
import dev.blocklift.image.ImageSources;
import dev.blocklift.image.LoadListener;
import dev.blocklift.image.LoadedImage;
import dev.blocklift.testing.Processes;
import dev.blocklift.testing.Requirements;
import dev.blocklift.testing.TreeSnapshot;
import dev.blocklift.testing.oci.Compression;
import dev.blocklift.testing.oci.ImageSpec;
import dev.blocklift.testing.oci.Layer;
import dev.blocklift.testing.oci.OciLayoutWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole path on a real OCI image: the image module loads it, this module writes ext4, and a
 * read-only loop mount of the result must equal what {@code umoci unpack} makes of the same image.
 */
class UmociEndToEndTest {
  @TempDir Path tmp;

  static final byte[] CAPABILITY = {
    1, 0, 0, 2, (byte) 0x80, 0x24, 0, 0, (byte) 0x80, 0x24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
  };

  static Layer[] layers() {
    byte[] big = new byte[3 << 20];
    new java.util.Random(3).nextBytes(big);
    Layer base =
        Layer.of(
                directory("etc/"),
                file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"),
                file("etc/shadow", "root:*:19000::::::\n").withMode(0640).withOwner(0, 42),
                file("etc/empty", new byte[0]),
                file("etc/remove-me", "gone\n"),
                directory("usr/"),
                directory("usr/bin/"),
                file("usr/bin/tool", "#!/bin/sh\necho tool\n")
                    .withMode(04755)
                    .withXattr("security.capability", CAPABILITY)
                    .withXattr("user.note", "hello".getBytes(StandardCharsets.UTF_8)),
                hardLink("usr/bin/tool2", "usr/bin/tool"),
                file("usr/bin/big", big),
                file("usr/bin/bigid", "x").withOwner(3_000_000, 4_000_000),
                directory("tmp/").withMode(01777),
                symlink("bin", "usr/bin"),
                symlink("long-link", "/" + "t".repeat(150)),
                directory("dev/"),
                charDevice("dev/null", 1, 3),
                blockDevice("dev/sda", 8, 0),
                fifo("dev/fifo"),
                directory("data/"),
                file("data/a", "shared by a hard link"),
                hardLink("data/b", "data/a"),
                directory("var/"),
                directory("var/lib/"),
                file("var/lib/lower", "l1"))
            .compression(Compression.GZIP);
    Layer upper =
        Layer.of(
                whiteout("etc/remove-me"),
                whiteout("data/a"),
                opaque("var/lib"),
                file("var/lib/after", "after the opaque marker"),
                file("usr/bin/big", "replaced: the lower copy becomes a hole"),
                directory("etc/").withMode(0700).withOwner(5, 6).withMtime(1_660_000_000L, 0))
            .compression(Compression.PLAIN); // this umoci cannot read zstd layers
    return new Layer[] {base, upper};
  }

  @Test
  void loopMountEqualsUmociUnpack() throws Exception {
    Requirements.commands("umoci");
    Requirements.root();
    Path layout = tmp.resolve("oci");
    OciLayoutWriter w = OciLayoutWriter.create(layout);
    w.tag("latest", w.image(ImageSpec.linuxAmd64(), layers()));
    w.writeIndex();

    Path out = tmp.resolve("rootfs.ext4");
    try (ImageSource source =
        ImageSources.open(new ImageRef.OciLayout(layout, Optional.of("latest")))) {
      LoadedImage img = ImageLoader.load(source, Platform.LINUX_AMD64, LoadListener.NONE);
      new Flattener()
          .flatten(img.tree(), img.content(), out, FlattenOptions.defaults(), FlattenListener.NONE);
    }
    Ext4Tools.fsck(out);

    Path bundle = tmp.resolve("bundle");
    List<String> cmd = List.of("umoci", "unpack", "--image", layout + ":latest", bundle.toString());
    Processes.run(Duration.ofMinutes(2), null, cmd).assertSuccess(cmd);
    TreeSnapshot expected = ModelSnapshot.unsignedIds(TreeSnapshot.of(bundle.resolve("rootfs")));
    TreeSnapshot actual = Mounts.snapshot(out);
    expected.assertSameAs(actual, "umoci unpack vs loop mount of the flattened ext4");
  }
}
