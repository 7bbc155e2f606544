package dev.blocklift.flatten;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.blocklift.core.Hex;
import dev.blocklift.core.Sha256;
import dev.blocklift.testing.Processes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Same tree, two JVMs (different time zone, locale, hash seed): byte-identical images. */
class DeterminismTest {
  @TempDir Path dir;

  static String sha256(Path file) throws IOException {
    MessageDigest md = Sha256.newDigest();
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buf = new byte[1 << 20];
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
    }
    return Hex.encode(md.digest());
  }

  static Processes.Result runJvm(List<String> jvmArgs, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(FlattenMain.class.getName());
    cmd.addAll(List.of(args));
    return Processes.run(Duration.ofMinutes(3), null, cmd).assertSuccess(cmd);
  }

  @Test
  void twoJvmsWriteIdenticalBytes() throws Exception {
    for (String fixture : List.of("all-types", "random")) {
      Path a = dir.resolve(fixture + "-a.ext4");
      Path b = dir.resolve(fixture + "-b.ext4");
      runJvm(List.of("-Duser.timezone=UTC", "-Duser.language=en"), fixture, a.toString(), "11");
      runJvm(
          List.of(
              "-Duser.timezone=Asia/Kathmandu",
              "-Duser.language=tr",
              "-XX:+UnlockExperimentalVMOptions",
              "-XX:hashCode=2"),
          fixture,
          b.toString(),
          "11");
      assertEquals(sha256(a), sha256(b), fixture + ": two JVMs, different bytes");
      Ext4Tools.fsck(a);
    }
  }

  @Test
  void differentImagesGetDifferentUuids() throws Exception {
    Fixtures.Image x = Fixtures.deep(3);
    Fixtures.Image y = Fixtures.deep(4);
    byte[] ux = Flattener.derive("uuid", x.tree(), true);
    byte[] uy = Flattener.derive("uuid", y.tree(), true);
    org.junit.jupiter.api.Assertions.assertFalse(java.util.Arrays.equals(ux, uy));
    Path out = dir.resolve("x.ext4");
    new Flattener()
        .flatten(x.tree(), x.content(), out, FlattenOptions.defaults(), FlattenListener.NONE);
    String uuid = java.util.HexFormat.of().formatHex(ux);
    String dumpe2fs = Ext4Tools.debugfs(out, "stats");
    org.junit.jupiter.api.Assertions.assertTrue(
        dumpe2fs.replace("-", "").contains(uuid), "UUID " + uuid + " not in\n" + dumpe2fs);
  }
}
