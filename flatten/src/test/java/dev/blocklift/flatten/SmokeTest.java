package dev.blocklift.flatten;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SmokeTest {
  @TempDir Path dir;

  @Test
  void allTypes() throws Exception {
    Fixtures.Image img = Fixtures.allTypes();
    Path out = dir.resolve("a.img");
    FlattenResult r =
        new Flattener()
            .flatten(
                img.tree(), img.content(), out, FlattenOptions.defaults(), FlattenListener.NONE);
    System.out.println(r);
    java.nio.file.Files.copy(
        out, Path.of("/tmp/smoke.img"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    System.out.println(Ext4Tools.fsck(out).stdout());
  }
}
