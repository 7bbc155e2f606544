package dev.blocklift.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.cache.tier.MemoryTier;
import dev.blocklift.chunk.TenantId;
import dev.blocklift.chunk.keys.LocalKeyring;
import dev.blocklift.core.ByteSize;
import dev.blocklift.store.Stores;
import dev.blocklift.testing.Requirements;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent daemon: two mounts of one image over one worker, metrics, umount. */
class AgentServerTest {
  @TempDir Path tmp;

  @Test
  void twoMountsShareOneCacheAndMetricsShowTheFetches() throws Exception {
    Requirements.root();
    Requirements.fuse();
    Requirements.loopDevices();
    Requirements.commands("mkfs.ext4");
    Path home = tmp.resolve("home");
    WorkerEndToEndTest.convertFixture(tmp, home, "busybox:1");
    byte[] data = Files.readAllBytes(tmp.resolve("tree").resolve(Ext4Fixture.DATA_FILE));
    Worker.Options options =
        new Worker.Options(Duration.ofSeconds(20), TenantId.DEFAULT, ByteSize.ofMiB(2), -1);
    Path a = Files.createDirectories(tmp.resolve("a"));
    Path b = Files.createDirectories(tmp.resolve("b"));
    HttpClient http = HttpClient.newHttpClient();
    try (Worker w =
            Worker.open(
                Worker.Parts.overStore(
                    Stores.open(home.resolve("store").toString()),
                    LocalKeyring.open(home.resolve("keyring.json"), Clock.systemUTC()),
                    List.of(new MemoryTier(ByteSize.ofMiB(64).bytes())),
                    Duration.ofSeconds(20)),
                options);
        AgentServer agent =
            AgentServer.start(
                w, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), tmp.resolve("st"))) {
      String base = "http://127.0.0.1:" + agent.address().getPort();
      assertEquals(200, post(http, base + "/mount?image=busybox:1&ro=true&dir=" + a).statusCode());
      assertEquals(200, post(http, base + "/mount?image=busybox:1&dir=" + b).statusCode());
      assertEquals(400, post(http, base + "/mount?image=busybox:1&dir=" + b).statusCode());
      assertArrayEquals(data, Files.readAllBytes(a.resolve(Ext4Fixture.DATA_FILE)));
      long fetchesAfterA = w.fetcher().metrics().fetches();
      assertArrayEquals(data, Files.readAllBytes(b.resolve(Ext4Fixture.DATA_FILE)));
      // The second mount of the same image is served from the shared memory tier.
      long storeFetches = w.chain().fetchStats().getLast().fetches();
      assertTrue(storeFetches <= fetchesAfterA, storeFetches + " store reads");
      String metrics =
          http.send(
                  HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      assertTrue(metrics.contains("blocklift_chunk_fetch_seconds_bucket"), metrics);
      assertTrue(metrics.contains("blocklift_image_fetched_bytes_total{image=\"busybox:1\"}"));
      assertEquals(200, post(http, base + "/umount?dir=" + a).statusCode());
      assertFalse(ContainerRun.isMountPoint(a));
    }
    assertFalse(ContainerRun.isMountPoint(b), "closing the agent unmounts the rest");
  }

  static HttpResponse<String> post(HttpClient http, String url) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
