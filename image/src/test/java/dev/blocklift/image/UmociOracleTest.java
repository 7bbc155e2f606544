package dev.blocklift.image;

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
import dev.blocklift.testing.TreeSnapshot;
import dev.blocklift.testing.oci.Compression;
import dev.blocklift.testing.oci.Layer;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every entry type and whiteout case, compared with what the real {@code umoci unpack} makes. */
class UmociOracleTest {
  @TempDir Path tmp;

  static final byte[] CAPABILITY = {
    1, 0, 0, 2, (byte) 0x80, 0x24, 0, 0, (byte) 0x80, 0x24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
  };

  static Layer[] allTypes() {
    String longDir = "long/" + "d".repeat(120) + "/";
    Layer base =
        Layer.of(
                directory("etc/"),
                file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"),
                file("etc/shadow", "root:*:19000::::::\n").withMode(0640).withOwner(0, 42),
                file("etc/empty", new byte[0]),
                file("etc/nanos", "sub-second\n").withMtime(1_600_000_000L, 500_000_000),
                file("etc/remove-me", "gone\n"),
                directory("usr/"),
                directory("usr/bin/"),
                file("usr/bin/tool", "#!/bin/sh\necho tool\n")
                    .withMode(04755)
                    .withXattr("security.capability", CAPABILITY)
                    .withXattr(
                        "user.note", "hello".getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                hardLink("usr/bin/tool2", "usr/bin/tool"),
                file("usr/bin/sg", "sg").withMode(02755).withOwner(1000, 1000),
                file("usr/bin/bigid", "x").withOwner(3_000_000, 4_000_000),
                directory("tmp/").withMode(01777),
                symlink("bin", "usr/bin"),
                symlink("abs", "/etc/passwd"),
                symlink("dangling", "/no/such/thing"),
                directory("dev/"),
                charDevice("dev/null", 1, 3),
                blockDevice("dev/sda", 8, 0),
                directory("run/"),
                fifo("run/fifo"),
                directory("long/"),
                directory(longDir),
                file(longDir + "f".repeat(140), "pax long name"),
                file(longDir + "g".repeat(140), "gnu long name").withGnuLongNames(),
                symlink("long/link", "/" + "t".repeat(150)),
                directory("opt/"),
                directory("opt/old/"),
                file("opt/old/a", "a"),
                directory("data/"),
                file("data/a", "shared by a hard link"),
                hardLink("data/b", "data/a"),
                directory("var/"),
                directory("var/lib/"),
                file("var/lib/lower1", "l1"),
                directory("var/lib/sub/"),
                file("var/lib/sub/lower2", "l2"),
                directory("repl-dir/"),
                file("repl-dir/child", "c"),
                file("repl-file", "f"),
                file("etc/old-mtime", "x").withMtime(-86_400L * 365, 0))
            .compression(Compression.GZIP);
    Layer upper =
        Layer.of(
                whiteout("etc/remove-me"),
                whiteout("opt/old"),
                whiteout("data/a"),
                whiteout("etc/never-existed"),
                directory("var/lib/").withMode(0750).withMtime(1_650_000_000L, 0),
                file("var/lib/before", "same layer, before the opaque marker"),
                opaque("var/lib"),
                file("var/lib/after", "same layer, after the opaque marker"),
                file("repl-dir", "now a file"),
                directory("repl-file/"),
                file("repl-file/child", "now a dir"),
                hardLink("etc/passwd-link", "etc/passwd"),
                directory("etc/").withMode(0700).withOwner(5, 6).withMtime(1_660_000_000L, 0),
                file("usr/bin/sg", "replaced").withMode(0755))
            .compression(Compression.PLAIN); // umoci 0.4.7 cannot read zstd layers
    Layer top =
        Layer.of(
                file("etc/passwd", "root:x:0:0:root:/root:/bin/bash\n"),
                file("data/b-later", "plain layer").withMode(0600).withOwner(7, 8))
            .compression(Compression.PLAIN);
    return new Layer[] {base, upper, top};
  }

  @Test
  void allEntryTypesMatchUmoci() throws Exception {
    Path layout = Fixtures.layout(tmp.resolve("oci"), allTypes());
    TreeSnapshot expected = Fixtures.umoci(layout, tmp.resolve("bundle"));
    TreeSnapshot actual =
        Fixtures.loadSnapshot(new ImageRef.OciLayout(layout, Optional.of("latest")));
    expected.assertSameAs(actual, "umoci unpack vs blocklift");
  }
}
