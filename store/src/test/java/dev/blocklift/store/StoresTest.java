package dev.blocklift.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.ImageName;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StoresTest {
  @TempDir Path dir;

  @Test
  void fileUriOpensChunksAndManifestsSideBySide() throws IOException {
    try (Store s = Stores.open(dir.toUri())) {
      s.manifests().publish(ImageName.parse("x:1"), new byte[] {1});
      assertTrue(Files.isDirectory(dir.resolve("chunks")));
      assertTrue(Files.isRegularFile(dir.resolve("manifests/x/_tags/1")));
    }
    try (Store s = Stores.open(URI.create(dir.toUri() + "?fsync=none"))) {
      assertEquals(1, s.manifests().list().size());
    }
  }

  @Test
  void aPlainPathIsALocalStore() throws IOException {
    try (Store s = Stores.open(dir.resolve("plain").toString())) {
      assertTrue(s.uri().startsWith("file:"));
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "ftp://host/x",
        "file://host/x",
        "file:///tmp/x?fsync=sometimes",
        "file:///tmp/x?fsinc=full",
        "file:relative/x",
        "no-scheme-uri:/x"
      })
  void badUrisGiveAClearError(String text) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Stores.open(URI.create(text)));
    assertTrue(
        e.getMessage().contains(text) || e.getMessage().contains("sometimes"),
        "message echoes the bad value: " + e.getMessage());
  }
}
