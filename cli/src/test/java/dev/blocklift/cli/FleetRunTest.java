package dev.blocklift.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.blocklift.chunk.keys.LocalKeyring;
import dev.blocklift.fleet.node.NodeProcess;
import dev.blocklift.s3.S3ProxyServer;
import dev.blocklift.store.Store;
import dev.blocklift.store.Stores;
import dev.blocklift.testing.Requirements;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole read path through the real entry point: five cache-node processes, the S3 store on
 * S3Proxy, and {@code blocklift run --fleet FILE} (in this JVM, through {@link Main#run}). A cold
 * run reads from the store and fills the fleet; later runs with an empty local cache read nothing
 * from the store, also with one node killed -9.
 */
class FleetRunTest {
  @TempDir Path tmp;
  Path home;
  Path fleetFile;
  String storeUri;
  S3ProxyServer s3;
  final List<NodeProcess> nodes = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    Requirements.root();
    Requirements.fuse();
    Requirements.loopDevices();
    Requirements.commands("runc", "mkfs.ext4");
    Requirements.require(Files.exists(Path.of("/bin/busybox")), "needs /bin/busybox");
    home = tmp.resolve("home");
    Files.createDirectories(home);
    try (ExecutorService starts = Executors.newVirtualThreadPerTaskExecutor()) {
      List<CompletableFuture<NodeProcess>> started = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        Path dir = tmp.resolve("node" + i);
        started.add(
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    return NodeProcess.start(dir, 0, NodeProcess.SMALL_JVM, List.of());
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                },
                starts));
      }
      s3 = S3ProxyServer.start(tmp.resolve("s3"));
      s3.createBucket("images");
      S3ProxyServer.useTestCredentialsInThisJvm();
      storeUri = s3.uri("images", "fleet-run");
      Path img = BusyboxFixture.build(tmp);
      try (Store store = Stores.open(storeUri);
          LocalKeyring keys = LocalKeyring.open(home.resolve("keyring.json"), Clock.systemUTC())) {
        BusyboxFixture.convert(img, home, store, keys, "busybox:1");
      }
      for (CompletableFuture<NodeProcess> f : started) {
        nodes.add(f.get(60, TimeUnit.SECONDS));
      }
    }
    StringBuilder list = new StringBuilder("# the test fleet\n\n");
    for (NodeProcess n : nodes) {
      list.append(n.address()).append('\n');
    }
    fleetFile = tmp.resolve("fleet.txt");
    Files.writeString(fleetFile, list, StandardCharsets.UTF_8);
  }

  @AfterEach
  void tearDown() throws Exception {
    for (NodeProcess n : nodes) {
      n.close();
    }
    if (s3 != null) {
      s3.close();
    }
  }

  /** One {@code blocklift run} with a fresh local cache; returns its --stats-json. */
  JsonNode run(String label, String... extra) throws Exception {
    Path stats = tmp.resolve(label + ".json");
    List<String> args =
        new ArrayList<>(
            List.of(
                "run",
                "busybox:1",
                "--home",
                home.toString(),
                "--store",
                storeUri,
                "--fleet",
                fleetFile.toString(),
                "--cache-dir",
                tmp.resolve("cache-" + label).toString(),
                "--stats-json",
                stats.toString()));
    args.addAll(List.of(extra));
    args.addAll(List.of("--", "sh", "-c", "cat /data/msg /data/blob > /dev/null"));
    int exit = Main.run(args.toArray(String[]::new));
    assertEquals(0, exit, label + ": the container's reads all succeeded");
    return new ObjectMapper().readTree(Files.readString(stats));
  }

  @Test
  void warmRunsReadEveryChunkFromTheFleetEvenWithANodeKilled() {
    assertTimeoutPreemptively(
        Duration.ofMinutes(3),
        () -> {
          JsonNode cold = run("cold");
          assertTrue(cold.get("storeGets").asLong() > 0, "a cold run reads the store: " + cold);

          JsonNode warm = run("warm", "--memory-cache", "0");
          assertTrue(warm.get("chunkFetches").asLong() > 0, warm.toString());
          assertEquals(0, warm.get("storeGets").asLong(), "all from the fleet: " + warm);

          nodes.get(2).kill();
          JsonNode degraded = run("degraded", "--memory-cache", "0");
          assertTrue(degraded.get("chunkFetches").asLong() > 0, degraded.toString());
          assertEquals(0, degraded.get("storeGets").asLong(), "4 of 5 suffice: " + degraded);
          for (JsonNode n : List.of(cold, warm, degraded)) {
            System.out.printf(
                "[figures] fleet run: fetches %d, store GETs %d%n",
                n.get("chunkFetches").asLong(), n.get("storeGets").asLong());
          }
        });
  }
}
