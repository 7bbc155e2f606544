package dev.blocklift.fleet.bench;

import dev.blocklift.core.ChunkName;
import dev.blocklift.fleet.client.FleetConfig;
import dev.blocklift.fleet.client.FleetMetrics;
import dev.blocklift.fleet.client.FleetSource;
import dev.blocklift.fleet.coding.Shard;
import dev.blocklift.fleet.coding.ShardCodec;
import dev.blocklift.fleet.node.NodeProcess;
import dev.blocklift.fleet.node.ShardKey;
import dev.blocklift.fleet.placement.Membership;
import dev.blocklift.fleet.placement.NodeAddress;
import dev.blocklift.store.FsyncPolicy;
import dev.blocklift.store.local.LocalChunkStore;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/*
 * Design: one run, one table. Six cache-node JVMs on 127.0.0.1 (started with --test-admin so one
 * node's added latency can be switched at run time without emptying it), a local directory store
 * as the next tier, and the fleet client in this JVM reading 512 KiB chunks one at a time (closed
 * loop, so latency is not queueing). For each layout (4+1 coding, single copy on rendezvous hashing):
 *
 *   1. warm the fleet (every chunk read once from the store and filled, then once from the fleet);
 *   2. healthy: N random reads, latency histogram (HdrHistogram);
 *   3. slow: one node delayed by 20 ms, N random reads;
 *   4. kill -9 one node: hit rate over a pass before, during (node dead, still a member), and
 *      after (node restarted empty: first pass, second pass).
 *
 * Then one node's GET and PUT throughput for 512 KiB values (4 concurrent requests), and the
 * Reed-Solomon codec in MB/s.
 */
/** The fleet benchmark: prints a markdown table (see docs/fleet.md). */
public final class FleetBenchmark {
  private final Path work;
  private final int nodeCount;
  private final int chunkCount;
  private final int reads;
  private final PrintStream out;
  private final List<NodeProcess> nodes = new ArrayList<>();
  private final List<byte[]> chunks = new ArrayList<>();
  private final List<ChunkName> names = new ArrayList<>();
  private LocalChunkStore store;
  private int restarts;

  FleetBenchmark(Path work, int nodeCount, int chunkCount, int reads, PrintStream out) {
    this.work = work;
    this.nodeCount = nodeCount;
    this.chunkCount = chunkCount;
    this.reads = reads;
    this.out = out;
  }

  /** Options: {@code --nodes 6 --chunks 64 --reads 3000 --work DIR}. */
  public static void main(String[] args) throws Exception {
    int nodes = 6;
    int chunks = 64;
    int reads = 3000;
    Path work = null;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--nodes" -> nodes = Integer.parseInt(args[i + 1]);
        case "--chunks" -> chunks = Integer.parseInt(args[i + 1]);
        case "--reads" -> reads = Integer.parseInt(args[i + 1]);
        case "--work" -> work = Path.of(args[i + 1]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (work == null) {
      work = Files.createTempDirectory("fleet-bench");
    }
    new FleetBenchmark(work, nodes, chunks, reads, System.out).run();
    System.exit(0);
  }

  void run() throws Exception {
    // The next tier is a local directory store: its reads come from the page cache, and the
    // tables measure the fleet (warm reads never reach it).
    store = new LocalChunkStore(work.resolve("store"), FsyncPolicy.NONE);
    for (int i = 0; i < nodeCount; i++) {
      nodes.add(start(i, 0));
    }
    SplittableRandom r = new SplittableRandom(7);
    for (int i = 0; i < chunkCount; i++) {
      byte[] c = new byte[512 * 1024];
      r.nextBytes(c);
      chunks.add(c);
      ChunkName name = ChunkName.ofCiphertext(c);
      store.putIfAbsent(name, c);
      names.add(name);
    }
    List<String> rows = new ArrayList<>();
    rows.add(
        "| layout | scenario | reads | mean ms | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms |"
            + " fleet hit rate |");
    rows.add("|---|---|---|---|---|---|---|---|---|---|");
    List<String> killRows = new ArrayList<>();
    killRows.add("| layout | before kill | during (node dead) | after restart, pass 1 | pass 2 |");
    killRows.add("|---|---|---|---|---|");
    for (FleetConfig cfg : List.of(FleetConfig.defaults(), FleetConfig.singleCopy())) {
      String layout =
          cfg.parityShards() == 0
              ? "single copy"
              : cfg.dataShards() + "-of-" + cfg.totalShards() + " RS";
      cfg = cfg.withRequestTimeout(Duration.ofSeconds(1));
      Membership membership = Membership.fixed(addresses());
      try (FleetSource fleet = FleetSource.overHttp(cfg, membership, store)) {
        passAll(fleet);
        fleet.awaitFills(60_000);
        passAll(fleet);
        rows.add(latencyRow(layout, "healthy", fleet));
        setDelay(nodes.get(1).address(), "20ms");
        rows.add(latencyRow(layout, "1 node +20 ms", fleet));
        setDelay(nodes.get(1).address(), "0");
        double before = passAll(fleet);
        nodes.get(2).kill();
        double during = passAll(fleet);
        nodes.set(2, start(2, nodes.get(2).address().port()));
        double after1 = passAll(fleet);
        fleet.awaitFills(60_000);
        double after2 = passAll(fleet);
        killRows.add(
            String.format(
                Locale.ROOT,
                "| %s | %.1f%% | %.1f%% | %.1f%% | %.1f%% |",
                layout,
                before * 100,
                during * 100,
                after1 * 100,
                after2 * 100));
      }
      // Fresh, empty nodes for the next layout.
      for (int i = 0; i < nodes.size(); i++) {
        int port = nodes.get(i).address().port();
        nodes.get(i).kill();
        nodes.set(i, start(i, port));
      }
    }
    String node = nodeThroughput(nodes.get(0).address());
    for (NodeProcess p : nodes) {
      p.kill();
    }
    out.println();
    out.printf(
        Locale.ROOT,
        "Fleet benchmark: %d cache-node JVMs on 127.0.0.1, %d chunks of 512 KiB, %d closed-loop"
            + " reads per scenario, %d cores, load average %.1f%n%n",
        nodeCount,
        chunkCount,
        reads,
        Runtime.getRuntime().availableProcessors(),
        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    rows.forEach(out::println);
    out.println();
    out.println("Hit rate around a kill -9 of one node (a pass reads every chunk once):");
    out.println();
    killRows.forEach(out::println);
    out.println();
    out.println(node);
    out.println();
    out.println("| codec | encode | decode | decode |");
    out.println("|---|---|---|---|");
    for (int[] km : new int[][] {{4, 1}, {4, 2}, {6, 3}}) {
      out.println(ReedSolomonBenchmark.run(km[0], km[1], 1000).format());
    }
  }

  private NodeProcess start(int i, int port) throws IOException {
    return NodeProcess.start(
        work.resolve("node" + i + "-" + ++restarts),
        port,
        NodeProcess.BENCH_JVM,
        List.of("--test-admin", "true"));
  }

  private List<NodeAddress> addresses() {
    return nodes.stream().map(NodeProcess::address).toList();
  }

  /** Reads every chunk once; returns the fleet hit rate of the pass. */
  private double passAll(FleetSource fleet) throws IOException {
    FleetMetrics.Snapshot before = fleet.metrics().snapshot();
    for (int i = 0; i < names.size(); i++) {
      check(fleet.get(names.get(i)).orElseThrow(), i);
    }
    return fleet.metrics().snapshot().minus(before).hitRate();
  }

  private void check(byte[] got, int i) {
    if (!java.util.Arrays.equals(got, chunks.get(i))) {
      throw new IllegalStateException("wrong bytes for chunk " + names.get(i));
    }
  }

  private String latencyRow(String layout, String scenario, FleetSource fleet) throws IOException {
    SplittableRandom r = new SplittableRandom(11);
    Histogram h = new Histogram(TimeUnit.SECONDS.toMicros(10), 3);
    FleetMetrics.Snapshot before = fleet.metrics().snapshot();
    for (int i = 0; i < Math.min(200, reads); i++) { // warm-up
      fleet.get(names.get(r.nextInt(names.size())));
    }
    for (int i = 0; i < reads; i++) {
      int c = r.nextInt(names.size());
      long t0 = System.nanoTime();
      byte[] got = fleet.get(names.get(c)).orElseThrow();
      h.recordValue(Math.max(1, (System.nanoTime() - t0) / 1000));
      check(got, c);
    }
    FleetMetrics.Snapshot d = fleet.metrics().snapshot().minus(before);
    return String.format(
        Locale.ROOT,
        "| %s | %s | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.1f%% |",
        layout,
        scenario,
        reads,
        h.getMean() / 1000.0,
        h.getValueAtPercentile(50) / 1000.0,
        h.getValueAtPercentile(90) / 1000.0,
        h.getValueAtPercentile(99) / 1000.0,
        h.getValueAtPercentile(99.9) / 1000.0,
        h.getMaxValue() / 1000.0,
        d.hitRate() * 100);
  }

  private static void setDelay(NodeAddress node, String delay) throws Exception {
    try (HttpClient c = HttpClient.newHttpClient()) {
      HttpResponse<String> resp =
          c.send(
              HttpRequest.newBuilder(URI.create(node.baseUri() + "/test/delay"))
                  .PUT(HttpRequest.BodyPublishers.ofString(delay))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (resp.statusCode() != 200) {
        throw new IllegalStateException("cannot set delay on " + node + ": " + resp.body());
      }
    }
  }

  /** PUT then GET of 512 KiB single-copy shards against one node, 4 requests in flight. */
  private static String nodeThroughput(NodeAddress node) throws Exception {
    int count = 400;
    int parallel = 4;
    ShardCodec single = new ShardCodec(1, 0);
    SplittableRandom r = new SplittableRandom(3);
    List<ShardKey> keys = new ArrayList<>();
    List<byte[]> bodies = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      byte[] c = new byte[512 * 1024];
      r.nextBytes(c);
      ChunkName n = ChunkName.ofCiphertext(c);
      Shard s = single.encode(n, c)[0];
      keys.add(new ShardKey(n, 0));
      bodies.add(s.wire());
    }
    try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
      double putSecs =
          timed(
              count,
              parallel,
              i ->
                  client
                      .sendAsync(
                          HttpRequest.newBuilder(uri(node, keys.get(i)))
                              .PUT(HttpRequest.BodyPublishers.ofByteArray(bodies.get(i)))
                              .build(),
                          HttpResponse.BodyHandlers.discarding())
                      .thenApply(HttpResponse::statusCode));
      double getSecs =
          timed(
              count,
              parallel,
              i ->
                  client
                      .sendAsync(
                          HttpRequest.newBuilder(uri(node, keys.get(i))).GET().build(),
                          HttpResponse.BodyHandlers.ofByteArray())
                      .thenApply(HttpResponse::statusCode));
      double mb = count * (512 * 1024 + 20) / 1e6;
      return String.format(
          Locale.ROOT,
          "| one node (Jetty 12 core), 512 KiB values, %d in flight | PUT %.0f MB/s (%.0f req/s)"
              + " | GET %.0f MB/s (%.0f req/s) |%n|---|---|---|",
          parallel,
          mb / putSecs,
          count / putSecs,
          mb / getSecs,
          count / getSecs);
    }
  }

  private static URI uri(NodeAddress node, ShardKey key) {
    return URI.create(node.baseUri() + "/shards/" + key.chunk().hex() + "/" + key.index());
  }

  private interface Op {
    CompletableFuture<Integer> start(int i);
  }

  private static double timed(int count, int parallel, Op op) throws Exception {
    long t0 = System.nanoTime();
    List<CompletableFuture<Integer>> window = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      if (window.size() == parallel) {
        int status = window.removeFirst().get(30, TimeUnit.SECONDS);
        if (status / 100 != 2) {
          throw new IllegalStateException("node answered " + status);
        }
      }
      window.add(op.start(i));
    }
    for (CompletableFuture<Integer> f : window) {
      f.get(30, TimeUnit.SECONDS);
    }
    return (System.nanoTime() - t0) / 1e9;
  }
}
