package dev.blocklift.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.store.Store;
import dev.blocklift.store.Stores;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class S3StoreConfigTest {
  @Test
  void parsesEveryOption() {
    S3StoreConfig c =
        S3StoreConfig.parse(
            URI.create(
                "s3://my-bucket/images/prod?endpoint=http://127.0.0.1:9000&region=eu-west-1"
                    + "&path-style=true&profile=ci&concurrency=8&attempts=5&timeout=1500ms"));
    assertEquals("my-bucket", c.bucket());
    assertEquals("images/prod/", c.prefix());
    assertEquals(Optional.of(URI.create("http://127.0.0.1:9000")), c.endpoint());
    assertEquals(Optional.of("eu-west-1"), c.region());
    assertTrue(c.pathStyle());
    assertEquals(Optional.of("ci"), c.profile());
    assertEquals(8, c.concurrency());
    assertEquals(5, c.attempts());
    assertEquals(Duration.ofMillis(1500), c.timeout());
  }

  @Test
  void defaultsAreAwsWithoutPrefix() {
    S3StoreConfig c = S3StoreConfig.parse(URI.create("s3://bucket"));
    assertEquals("", c.prefix());
    assertTrue(c.endpoint().isEmpty());
    assertEquals(16, c.concurrency());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "s3:///no-bucket",
        "s3://Bad_Bucket/x",
        "s3://bucket/x?endpoint=ftp://h",
        "s3://bucket/x?endpoint=notaurl",
        "s3://bucket/x?pathstyle=true",
        "s3://bucket/x?path-style=maybe",
        "s3://bucket/x?timeout=soon",
        "s3://bucket/x?timeout=0",
        "s3://bucket/x?concurrency=0",
        "s3://key:secret@bucket/x"
      })
  void badUrisAreRejectedWithAMessageThatNamesThem(String text) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Stores.open(URI.create(text)));
    assertTrue(!e.getMessage().contains("secret"), "never echoes a secret: " + e.getMessage());
    assertTrue(
        e.getMessage().contains("s3://") || e.getMessage().contains("Bad_Bucket"),
        "names the URI: " + e.getMessage());
  }

  @Test
  void timeoutTakesEveryTimeSpanForm() {
    assertEquals(
        Duration.ofHours(1), S3StoreConfig.parse(URI.create("s3://bucket/x?timeout=1h")).timeout());
    assertEquals(
        Duration.ofSeconds(30),
        S3StoreConfig.parse(URI.create("s3://bucket/x?timeout=PT30S")).timeout());
  }

  @Test
  void storesOpensS3ThroughTheServiceLoader() throws Exception {
    try (Store s = Stores.open(URI.create("s3://bucket/p?endpoint=http://127.0.0.1:9&region=x"))) {
      assertTrue(s.chunks() instanceof S3ChunkStore);
      assertTrue(s.uri().startsWith("s3://bucket/p/"));
    }
  }
}
