package dev.blocklift.fleet.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.ChunkName;
import dev.blocklift.fleet.coding.Shard;
import dev.blocklift.fleet.coding.ShardCodec;
import dev.blocklift.fleet.node.NodeProcess;
import dev.blocklift.fleet.placement.Membership;
import dev.blocklift.fleet.placement.NodeAddress;
import dev.blocklift.store.FakeChunkSource;
import dev.blocklift.testing.Poll;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real fleet: six cache-node JVMs on 127.0.0.1, the fleet client in this JVM, and an in-memory
 * next tier that counts its reads. Every test starts its own fleet and data and stops them, so no
 * test depends on another's order or leftovers; every wait has a deadline, none is a fixed sleep.
 */
class FleetProcessTest {
  private static final long SEED = 20261123L;
  private static final int NODES = 6;
  private static final int CHUNKS = 48;
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final long FILLS_MILLIS = 30_000;

  @TempDir Path dir;
  private final List<NodeProcess> nodes = Collections.synchronizedList(new ArrayList<>());
  private final Map<ChunkName, byte[]> data = new LinkedHashMap<>();
  private final FakeChunkSource store = new FakeChunkSource("store");
  private final AtomicInteger restarts = new AtomicInteger();
  private Membership membership;
  private FleetSource fleet;

  @BeforeEach
  void startFleet() throws Exception {
    NodeProcess[] started = new NodeProcess[NODES];
    inParallel(NODES, i -> started[i] = startNode(dir.resolve("node" + i), 0, List.of()));
    nodes.addAll(List.of(started));
    membership = Membership.fixed(addresses());
    fleet =
        FleetSource.overHttp(
            FleetConfig.defaults().withRequestTimeout(Duration.ofSeconds(2)), membership, store);
    SplittableRandom r = new SplittableRandom(SEED);
    for (int i = 0; i < CHUNKS; i++) {
      // Chunk sizes do not change the fleet's logic; smaller ones keep the test quick on 2 cores.
      byte[] c = new byte[i % 2 == 0 ? 128 * 1024 : 1 + r.nextInt(128 * 1024)];
      r.nextBytes(c);
      data.put(store.add(c), c);
    }
  }

  @AfterEach
  void stopFleet() throws Exception {
    if (fleet != null) {
      fleet.close();
    }
    for (NodeProcess p : nodes) {
      if (p != null) {
        p.kill();
      }
    }
  }

  private interface NodeTask {
    void run(int index) throws Exception;
  }

  /** Runs {@code task} for 0..n-1 on virtual threads; fails if any fails or outlasts WAIT. */
  private static void inParallel(int n, NodeTask task) throws Exception {
    List<Thread> threads = new ArrayList<>();
    ConcurrentLinkedQueue<Exception> errors = new ConcurrentLinkedQueue<>();
    for (int i = 0; i < n; i++) {
      int idx = i;
      threads.add(
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      task.run(idx);
                    } catch (Exception e) {
                      errors.add(e);
                    }
                  }));
    }
    for (Thread t : threads) {
      assertTrue(t.join(WAIT), "a node task still running after " + WAIT);
    }
    if (!errors.isEmpty()) {
      throw errors.peek();
    }
  }

  private static NodeProcess startNode(Path nodeDir, int port, List<String> args)
      throws IOException {
    return NodeProcess.start(nodeDir, port, NodeProcess.SMALL_JVM, args);
  }

  private List<NodeAddress> addresses() {
    return nodes.stream().map(NodeProcess::address).toList();
  }

  /** Kills node {@code i} and starts an empty one on its port with {@code args}. */
  private NodeProcess restart(int i, List<String> args) throws Exception {
    NodeProcess old = nodes.get(i);
    old.kill();
    NodeProcess p =
        startNode(
            dir.resolve("node" + i + "-r" + restarts.incrementAndGet()),
            old.address().port(),
            args);
    nodes.set(i, p);
    return p;
  }

  /** Reads every chunk once, checking the bytes; returns the metrics delta. */
  private FleetMetrics.Snapshot readAll() throws Exception {
    FleetMetrics.Snapshot before = fleet.metrics().snapshot();
    for (var e : data.entrySet()) {
      byte[] got = fleet.get(e.getKey()).orElseThrow();
      assertArrayEquals(e.getValue(), got, "chunk " + e.getKey() + " seed=" + SEED);
    }
    return fleet.metrics().snapshot().minus(before);
  }

  /** Fills the fleet from the store (one cold pass) and checks that it then serves every chunk. */
  private void warm() throws Exception {
    FleetMetrics.Snapshot cold = readAll();
    assertEquals(CHUNKS, cold.misses(), cold.toString());
    assertTrue(fleet.awaitFills(FILLS_MILLIS), "fills still pending after " + FILLS_MILLIS + " ms");
    FleetMetrics.Snapshot warm = readAll();
    assertEquals(CHUNKS, warm.hits(), warm.toString());
  }

  /**
   * Reads passes until {@code node} holds {@code expected} shards (repairs follow the 404s reads
   * happen to see before they have k shards, so this takes a few passes), each pass all hits.
   */
  private long refill(NodeAddress node, long expected) throws Exception {
    long stored = storedShards(node);
    for (int pass = 0; pass < 4 && stored < expected; pass++) {
      FleetMetrics.Snapshot d = readAll();
      assertEquals(CHUNKS, d.hits(), d.toString());
      assertTrue(fleet.awaitFills(FILLS_MILLIS));
      stored = storedShards(node);
    }
    return stored;
  }

  @Test
  void aColdFleetFillsFromTheStoreThenServesEveryChunkByteIdentical() throws Exception {
    FleetMetrics.Snapshot cold = readAll();
    assertEquals(CHUNKS, cold.misses(), cold.toString());
    assertEquals(CHUNKS, store.gets());
    assertTrue(fleet.awaitFills(FILLS_MILLIS));
    FleetMetrics.Snapshot warm = readAll();
    assertEquals(CHUNKS, warm.hits(), warm.toString());
    assertEquals(CHUNKS, store.gets(), "a warm fleet reads nothing from the store");
    assertEquals(0, warm.corruptShards());
  }

  @Test
  void killNineInTheMiddleOfAReadLoopCostsNothing() throws Exception {
    warm();
    List<ChunkName> names = new ArrayList<>(data.keySet());
    AtomicInteger done = new AtomicInteger();
    AtomicInteger failures = new AtomicInteger();
    AtomicBoolean stop = new AtomicBoolean();
    ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    FleetMetrics.Snapshot before = fleet.metrics().snapshot();
    int storeBefore = store.gets();
    List<Thread> readers = new ArrayList<>();
    for (int t = 0; t < 2; t++) {
      int offset = t * 17;
      readers.add(
          Thread.ofVirtual()
              .start(
                  () -> {
                    for (int i = 0; !stop.get(); i++) {
                      ChunkName n = names.get((i + offset) % names.size());
                      try {
                        byte[] got = fleet.get(n).orElseThrow();
                        if (!Arrays.equals(got, data.get(n))) {
                          failures.incrementAndGet();
                          problems.add("wrong bytes for " + n);
                        }
                      } catch (Exception e) {
                        failures.incrementAndGet();
                        problems.add(n + ": " + e);
                      }
                      done.incrementAndGet();
                    }
                  }));
    }
    // The readers loop until told to stop: the kill lands between reads done before it and
    // reads done after it, whatever the machine's speed.
    Poll.until(WAIT, "a pass of reads before the kill", () -> done.get() >= CHUNKS);
    NodeProcess victim = nodes.get(2);
    victim.kill(); // SIGKILL, mid-loop
    assertFalse(victim.isAlive());
    int atKill = done.get();
    Poll.until(WAIT, "two passes of reads after the kill", () -> done.get() >= atKill + 2 * CHUNKS);
    stop.set(true);
    for (Thread t : readers) {
      assertTrue(t.join(WAIT), "a reader still running after " + WAIT);
    }
    FleetMetrics.Snapshot d = fleet.metrics().snapshot().minus(before);
    System.out.printf("kill -9 after %d of %d reads: %s%n", atKill, done.get(), d);
    assertEquals(0, failures.get(), "failed reads: " + problems);
    assertEquals(done.get(), d.hits(), "hit rate must stay 100%: " + d);
    assertEquals(0, d.misses());
    assertEquals(storeBefore, store.gets());
  }

  @Test
  void aNodeRestartedEmptyIsRefilledWithItsShare() throws Exception {
    warm();
    // The node comes back empty: reads still hit, and repair its missing shards.
    NodeProcess back = restart(2, List.of());
    long expected = expectedShardsOn(back.address());
    assertEquals(expected, refill(back.address(), expected), "the restarted node's share");
  }

  @Test
  void aWholeFleetRestartedEmptyMissesOnceThenHits() throws Exception {
    warm();
    inParallel(NODES, i -> restart(i, List.of()));
    int storeBefore = store.gets();
    FleetMetrics.Snapshot cold = readAll();
    assertEquals(CHUNKS, cold.misses(), cold.toString());
    assertEquals(storeBefore + CHUNKS, store.gets());
    assertTrue(fleet.awaitFills(FILLS_MILLIS));
    FleetMetrics.Snapshot warm = readAll();
    assertEquals(CHUNKS, warm.hits(), warm.toString());
  }

  @Test
  void aSlowNodeDoesNotChangeResults() throws Exception {
    warm();
    restart(0, List.of("--test-delay", "300ms"));
    FleetMetrics.Snapshot slow = readAll();
    assertEquals(CHUNKS, slow.hits(), "slow node: " + slow);
    assertEquals(0, slow.failedReads());
  }

  @Test
  void aCorruptingNodeDoesNotChangeResults() throws Exception {
    warm();
    // Corrupting every GET answer (once repairs have filled it).
    restart(0, List.of("--test-corrupt-rate", "1.0"));
    for (int pass = 0; pass < 3; pass++) {
      readAll();
      assertTrue(fleet.awaitFills(FILLS_MILLIS));
    }
    FleetMetrics.Snapshot corrupt = readAll();
    System.out.println("corrupting node: " + corrupt);
    assertEquals(CHUNKS, corrupt.hits(), corrupt.toString());
    assertTrue(corrupt.corruptShards() > 0, "corruption must be counted: " + corrupt);
    String metrics = get(nodes.get(0).address(), "/metrics").body();
    assertTrue(
        counter(metrics, "blocklift_node_test_corrupted_total") >= corrupt.corruptShards(),
        metrics);
  }

  @Test
  void anAddedNodeTakesItsShare() throws Exception {
    warm();
    NodeProcess added = startNode(dir.resolve("node-added"), 0, List.of());
    nodes.add(added);
    membership.set(addresses());
    FleetMetrics.Snapshot first = readAll();
    assertEquals(0, first.failedReads());
    assertTrue(fleet.awaitFills(FILLS_MILLIS));
    long expected = expectedShardsOn(added.address());
    long stored = refill(added.address(), expected);
    System.out.printf(
        "added node: first pass %s; holds %d shards, its share is %d%n", first, stored, expected);
    assertEquals(expected, stored, "the added node holds exactly its share after repair");
    assertTrue(expected > CHUNKS * 5L / (NODES + 1) / 2, "share " + expected);
  }

  @Test
  void garbageRequestsGetClear4xxAndTheNodeKeepsServing() throws Exception {
    warm();
    NodeAddress node = nodes.get(3).address();
    assertTrue(raw(node, "\u0000\u0001garbage\r\n\r\n").startsWith("HTTP/1.1 400"));
    assertTrue(
        raw(node, "GET /shards/zz/0 HTTP/1.1\r\nHost: x\r\n\r\n").startsWith("HTTP/1.1 400"));
    String oversized =
        raw(
            node,
            "PUT /shards/"
                + "a".repeat(64)
                + "/0 HTTP/1.1\r\nHost: x\r\nContent-Length: 10485760"
                + "\r\n\r\n");
    assertTrue(oversized.startsWith("HTTP/1.1 413"), oversized);
    assertTrue(oversized.contains("exceeds"), oversized);

    var badName = get(node, "/shards/NOTHEX/0");
    assertEquals(400, badName.statusCode());
    assertTrue(badName.body().contains("chunk name"), badName.body());
    var badIndex = get(node, "/shards/" + "b".repeat(64) + "/-1");
    assertEquals(400, badIndex.statusCode());
    assertTrue(badIndex.body().contains("index"), badIndex.body());
    assertEquals(400, get(node, "/shards/" + "b".repeat(64) + "/300").statusCode());
    assertEquals(404, get(node, "/nothing").statusCode());
    assertEquals(404, get(node, "/shards/" + "c".repeat(64) + "/1").statusCode());

    byte[] chunk = "some ciphertext".getBytes(StandardCharsets.UTF_8);
    ChunkName name = ChunkName.ofCiphertext(chunk);
    Shard[] shards = new ShardCodec(4, 1).encode(name, chunk);
    byte[] bad = shards[1].wire().clone();
    bad[Shard.HEADER] ^= 1;
    var wrongSum = put(node, "/shards/" + name + "/1", bad);
    assertEquals(400, wrongSum.statusCode());
    assertTrue(wrongSum.body().contains("CRC32C"), wrongSum.body());
    var wrongIndex = put(node, "/shards/" + name + "/2", shards[1].wire());
    assertEquals(400, wrongIndex.statusCode());
    assertTrue(wrongIndex.body().contains("index"), wrongIndex.body());
    assertEquals(404, get(node, "/shards/" + name + "/1").statusCode(), "rejected = not stored");

    try (HttpClient c = HttpClient.newHttpClient()) {
      var del =
          c.send(
              HttpRequest.newBuilder(URI.create(node.baseUri() + "/shards/" + name + "/1"))
                  .DELETE()
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(405, del.statusCode());
    }

    assertEquals(201, put(node, "/shards/" + name + "/1", shards[1].wire()).statusCode());
    var ok = get(node, "/shards/" + name + "/1");
    assertEquals(200, ok.statusCode());
    assertEquals("ok\n", get(node, "/health").body());
    String metrics = get(node, "/metrics").body();
    assertTrue(counter(metrics, "blocklift_node_put_rejected_total{reason=\"checksum\"}") >= 2);
    assertTrue(counter(metrics, "blocklift_node_bad_requests_total") >= 3, metrics);
    assertTrue(metrics.contains("blocklift_node_request_seconds_bucket{method=\"GET\",le="));
    // and the fleet still reads everything from its nodes
    assertEquals(CHUNKS, readAll().hits());
  }

  private long expectedShardsOn(NodeAddress node) {
    long c = 0;
    for (ChunkName n : data.keySet()) {
      c += membership.current().place(n, 5).contains(node) ? 1 : 0;
    }
    return c;
  }

  private static long storedShards(NodeAddress node) throws Exception {
    return counter(get(node, "/metrics").body(), "blocklift_node_stored_shards{tier=\"disk\"}");
  }

  private static long counter(String metrics, String name) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\d+)").matcher(metrics);
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  private static HttpResponse<String> get(NodeAddress node, String path) throws Exception {
    try (HttpClient c = HttpClient.newHttpClient()) {
      return c.send(
          HttpRequest.newBuilder(URI.create(node.baseUri() + path)).build(),
          HttpResponse.BodyHandlers.ofString());
    }
  }

  private static HttpResponse<String> put(NodeAddress node, String path, byte[] body)
      throws Exception {
    try (HttpClient c = HttpClient.newHttpClient()) {
      return c.send(
          HttpRequest.newBuilder(URI.create(node.baseUri() + path))
              .PUT(HttpRequest.BodyPublishers.ofByteArray(body))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    }
  }

  /** Sends raw bytes, returns what comes back before the node closes or 2 s pass. */
  private static String raw(NodeAddress node, String request) throws IOException {
    try (Socket s = new Socket(node.host(), node.port())) {
      s.setSoTimeout(2000);
      OutputStream out = s.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[4096];
      int n = in.read(buf);
      return n <= 0 ? "" : new String(buf, 0, n, StandardCharsets.ISO_8859_1);
    }
  }
}
