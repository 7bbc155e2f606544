package dev.blocklift.fleet.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.ChunkName;
import dev.blocklift.fleet.bench.InMemoryChunkSource;
import dev.blocklift.fleet.coding.Shard;
import dev.blocklift.fleet.coding.ShardCodec;
import dev.blocklift.fleet.node.NodeProcess;
import dev.blocklift.fleet.placement.Membership;
import dev.blocklift.fleet.placement.NodeAddress;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real fleet: six cache-node JVMs (plus one added later) on 127.0.0.1, the fleet client in this
 * JVM, and an in-memory next tier that counts its reads. The tests run in order on one fleet.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FleetProcessTest {
  private static final long SEED = 20261123L;
  private static final int NODES = 6;
  private static final int CHUNKS = 48;

  private Path dir;
  private final List<NodeProcess> nodes = java.util.Collections.synchronizedList(new ArrayList<>());
  private final Map<ChunkName, byte[]> data = new LinkedHashMap<>();
  private final InMemoryChunkSource store = new InMemoryChunkSource(0);
  private Membership membership;
  private FleetSource fleet;
  private final AtomicInteger restarts = new AtomicInteger();

  @BeforeAll
  void startFleet(@TempDir Path tmp) throws Exception {
    this.dir = tmp;
    List<Thread> starters = new ArrayList<>();
    NodeProcess[] started = new NodeProcess[NODES];
    ConcurrentLinkedQueue<Exception> errors = new ConcurrentLinkedQueue<>();
    for (int i = 0; i < NODES; i++) {
      int idx = i;
      starters.add(
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      started[idx] =
                          NodeProcess.start(
                              dir.resolve("node" + idx), 0, NodeProcess.SMALL_JVM, List.of());
                    } catch (IOException | RuntimeException e) {
                      errors.add(e);
                    }
                  }));
    }
    for (Thread t : starters) {
      t.join();
    }
    for (NodeProcess p : started) {
      if (p != null) {
        nodes.add(p);
      }
    }
    if (!errors.isEmpty()) {
      throw errors.peek();
    }
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

  @AfterAll
  void stopFleet() throws Exception {
    if (fleet != null) {
      fleet.close();
    }
    for (NodeProcess p : nodes) {
      p.kill();
    }
  }

  private List<NodeAddress> addresses() {
    return nodes.stream().map(NodeProcess::address).toList();
  }

  private NodeProcess restart(int i, List<String> args) throws Exception {
    NodeProcess old = nodes.get(i);
    old.kill();
    NodeProcess p =
        NodeProcess.start(
            dir.resolve("node" + i + "-r" + restarts.incrementAndGet()),
            old.address().port(),
            NodeProcess.SMALL_JVM,
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

  @Test
  @Order(1)
  void allChunksReadBackByteIdentical() throws Exception {
    FleetMetrics.Snapshot cold = readAll();
    assertEquals(CHUNKS, cold.misses(), cold.toString());
    assertEquals(CHUNKS, store.reads());
    assertTrue(fleet.awaitFills(30_000));
    FleetMetrics.Snapshot warm = readAll();
    assertEquals(CHUNKS, warm.hits(), warm.toString());
    assertEquals(CHUNKS, store.reads(), "a warm fleet reads nothing from the store");
    assertEquals(0, warm.corruptShards());
  }

  @Test
  @Order(2)
  void killNineInTheMiddleOfAReadLoopCostsNothing() throws Exception {
    List<ChunkName> names = new ArrayList<>(data.keySet());
    AtomicInteger done = new AtomicInteger();
    AtomicInteger failures = new AtomicInteger();
    ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    int perThread = 2 * CHUNKS;
    FleetMetrics.Snapshot before = fleet.metrics().snapshot();
    long storeBefore = store.reads();
    List<Thread> readers = new ArrayList<>();
    for (int t = 0; t < 2; t++) {
      int offset = t * 17;
      readers.add(
          Thread.ofVirtual()
              .start(
                  () -> {
                    for (int i = 0; i < perThread; i++) {
                      ChunkName n = names.get((i + offset) % names.size());
                      try {
                        byte[] got = fleet.get(n).orElseThrow();
                        if (!java.util.Arrays.equals(got, data.get(n))) {
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
    while (done.get() < perThread) {
      Thread.sleep(5);
    }
    NodeProcess victim = nodes.get(2);
    victim.kill(); // SIGKILL, mid-loop
    assertTrue(!victim.isAlive());
    int atKill = done.get();
    for (Thread t : readers) {
      t.join();
    }
    FleetMetrics.Snapshot d = fleet.metrics().snapshot().minus(before);
    System.out.printf("kill -9 after %d of %d reads: %s%n", atKill, 2 * perThread, d);
    assertEquals(0, failures.get(), "failed reads: " + problems);
    assertEquals(2L * perThread, d.hits(), "hit rate must stay 100%: " + d);
    assertEquals(0, d.misses());
    assertEquals(storeBefore, store.reads());
    assertTrue(atKill < 2 * perThread, "the kill happened while reads were running");
  }

  @Test
  @Order(3)
  void nodesRestartedEmptyRefill() throws Exception {
    // The killed node comes back empty: reads still hit, and repair its missing shards.
    // Repair is driven by reads that see its 404 before they have k shards, so give it passes.
    NodeProcess back = restart(2, List.of());
    long expected = expectedShardsOn(back.address());
    long stored = 0;
    for (int pass = 0; pass < 4 && stored < expected; pass++) {
      FleetMetrics.Snapshot d = readAll();
      assertEquals(CHUNKS, d.hits(), d.toString());
      assertTrue(fleet.awaitFills(30_000));
      stored = storedShards(back.address());
    }
    assertEquals(expected, stored, "the restarted node is refilled with its share");
    // The whole fleet restarted empty: every chunk misses once, is refilled, then hits.
    List<Thread> restarts = new ArrayList<>();
    ConcurrentLinkedQueue<Exception> errors = new ConcurrentLinkedQueue<>();
    for (int i = 0; i < NODES; i++) {
      int idx = i;
      restarts.add(
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      restart(idx, List.of());
                    } catch (Exception e) {
                      errors.add(e);
                    }
                  }));
    }
    for (Thread t : restarts) {
      t.join();
    }
    assertTrue(errors.isEmpty(), errors.toString());
    long storeBefore = store.reads();
    FleetMetrics.Snapshot cold = readAll();
    assertEquals(CHUNKS, cold.misses(), cold.toString());
    assertEquals(storeBefore + CHUNKS, store.reads());
    assertTrue(fleet.awaitFills(30_000));
    FleetMetrics.Snapshot warm = readAll();
    assertEquals(CHUNKS, warm.hits(), warm.toString());
  }

  @Test
  @Order(4)
  void aSlowNodeOrACorruptingNodeDoesNotChangeResults() throws Exception {
    restart(0, List.of("--test-delay", "300ms"));
    FleetMetrics.Snapshot slow = readAll();
    assertEquals(CHUNKS, slow.hits(), "slow node: " + slow);
    assertEquals(0, slow.failedReads());
    // Back to normal speed but corrupting every GET answer (after repairs filled it).
    restart(0, List.of("--test-corrupt-rate", "1.0"));
    for (int pass = 0; pass < 3; pass++) {
      readAll();
      assertTrue(fleet.awaitFills(30_000));
    }
    FleetMetrics.Snapshot corrupt = readAll();
    System.out.println("corrupting node: " + corrupt);
    assertEquals(CHUNKS, corrupt.hits(), corrupt.toString());
    assertTrue(corrupt.corruptShards() > 0, "corruption must be counted: " + corrupt);
    String metrics = get(nodes.get(0).address(), "/metrics").body();
    assertTrue(
        counter(metrics, "blocklift_node_test_corrupted_total") >= corrupt.corruptShards(),
        metrics);
    restart(0, List.of());
    for (int pass = 0; pass < 3; pass++) {
      readAll();
      assertTrue(fleet.awaitFills(30_000));
    }
  }

  @Test
  @Order(5)
  void anAddedNodeTakesItsShare() throws Exception {
    NodeProcess added =
        NodeProcess.start(dir.resolve("node-added"), 0, NodeProcess.SMALL_JVM, List.of());
    nodes.add(added);
    membership.set(addresses());
    FleetMetrics.Snapshot first = readAll();
    assertEquals(0, first.failedReads());
    assertTrue(fleet.awaitFills(30_000));
    long expected = expectedShardsOn(added.address());
    long stored = storedShards(added.address());
    // Repairs follow the 404s reads happen to see before they have k shards: allow passes.
    for (int pass = 0; pass < 4 && stored < expected; pass++) {
      FleetMetrics.Snapshot again = readAll();
      assertEquals(CHUNKS, again.hits(), again.toString());
      assertTrue(fleet.awaitFills(30_000));
      stored = storedShards(added.address());
    }
    System.out.printf(
        "added node: first pass %s; holds %d shards, its share is %d%n", first, stored, expected);
    assertEquals(expected, stored, "the added node holds exactly its share after repair");
    assertTrue(expected > CHUNKS * 5L / (NODES + 1) / 2, "share " + expected);
  }

  @Test
  @Order(6)
  void garbageRequestsGetClear4xxAndTheNodeKeepsServing() throws Exception {
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
    // and the fleet still reads everything
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
