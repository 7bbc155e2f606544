package dev.blocklift.store.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.ImageName;
import dev.blocklift.store.FsyncPolicy;
import dev.blocklift.store.ManifestStore;
import dev.blocklift.store.ManifestStoreContract;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalManifestStoreTest extends ManifestStoreContract {
  @TempDir Path dir;

  @Override
  protected ManifestStore newStore() throws IOException {
    return new LocalManifestStore(dir.resolve("manifests"), FsyncPolicy.FULL);
  }

  @Test
  void layoutIsRepositoryThenTagsThenTag() throws IOException {
    store.publish(ImageName.parse("team/app:v1"), new byte[] {1});
    assertTrue(Files.isRegularFile(dir.resolve("manifests/team/app/_tags/v1")));
  }

  @Test
  void strayFilesAreNotListed() throws IOException {
    store.publish(ImageName.parse("a:1"), new byte[] {1});
    Files.write(dir.resolve("manifests/a/_tags/.tmp-left"), new byte[] {2});
    Files.write(dir.resolve("manifests/README"), new byte[] {3});
    assertEquals(List.of(ImageName.parse("a:1")), store.list());
  }
}
