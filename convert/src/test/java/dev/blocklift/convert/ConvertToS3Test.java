package dev.blocklift.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.chunk.TenantId;
import dev.blocklift.core.ImageName;
import dev.blocklift.s3.S3ProxyServer;
import dev.blocklift.s3.S3StoreProvider;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole pipeline into a real S3-compatible server (S3Proxy, filesystem backend). */
class ConvertToS3Test {
  @TempDir Path dir;

  @Test
  void convertReconvertVerifyAndGcAgainstS3() throws Exception {
    try (S3ProxyServer server = S3ProxyServer.start(dir.resolve("s3"))) {
      server.createBucket("images");
      try (TestHome home =
          new TestHome(
              dir.resolve("home"),
              S3StoreProvider.open(server.config("images", "prod"), S3ProxyServer.credentials()))) {
        Path device = TestHome.device(dir.resolve("a.img"), 24, 21);
        ConvertResult first = home.convert(device, "team/app:1");
        assertEquals(15, first.stats().newChunks(), first.stats().toString());
        ConvertResult second = home.convert(device, "team/app:2");
        assertEquals(0, second.stats().newChunks());
        assertEquals(15, second.stats().presentChunks());
        assertEquals(
            java.util.List.of(ImageName.parse("team/app:1"), ImageName.parse("team/app:2")),
            home.store.manifests().list());
        VerifyReport v =
            home.verifier().verify(ImageName.parse("team/app:2"), TenantId.DEFAULT, k -> {});
        assertTrue(v.ok(), v.problems().toString());
        GcResult gc =
            new GarbageCollector(home.store, Clock.systemUTC(), home.secret.manifestMac())
                .collect(Duration.ZERO, true);
        assertEquals(0, gc.swept(), "every chunk is referenced");
        assertEquals(15, gc.referenced());
      }
    }
  }
}
