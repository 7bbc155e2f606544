package dev.blocklift.cache.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.BlockliftException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A recorded trace reads back as what was recorded and replays through the simulator. */
class TraceRecorderTest {
  @TempDir Path tmp;

  @RepeatedTest(5)
  void whatIsRecordedReadsBackAndReplaysAsAnLruModelSays(RepetitionInfo rep) throws Exception {
    long seed = 77L * rep.getCurrentRepetition();
    SplittableRandom r = new SplittableRandom(seed);
    int chunks = 5 + r.nextInt(60);
    List<String> names = new ArrayList<>();
    Map<String, Integer> weights = new HashMap<>();
    for (int i = 0; i < chunks; i++) {
      String n = String.format("%064x", r.nextLong() & Long.MAX_VALUE);
      names.add(n);
      weights.put(n, r.nextBoolean() ? TraceFormat.DEFAULT_WEIGHT : 1 + r.nextInt(1 << 20));
    }
    List<String> accesses = new ArrayList<>();
    Path file = tmp.resolve("t" + seed + ".trace");
    try (TraceRecorder rec = TraceRecorder.create(file, "seed " + seed)) {
      int n = 200 + r.nextInt(2000);
      for (int i = 0; i < n; i++) {
        // Skewed: a few hot chunks, a long tail.
        String c = names.get(Math.min(chunks - 1, (int) Math.abs(r.nextGaussian() * chunks / 4)));
        accesses.add(c);
        rec.record(c, weights.get(c));
      }
      assertEquals(n, rec.accesses(), "seed " + seed);
    }
    Trace t = TraceFormat.read(file);
    assertEquals(accesses.size(), t.length(), "seed " + seed);
    assertEquals(accesses.stream().distinct().count(), t.uniqueKeys(), "seed " + seed);
    for (int i = 0; i < t.length(); i++) {
      assertEquals(weights.get(accesses.get(i)), t.weight(i), "seed " + seed + " access " + i);
    }
    // An independent byte-bounded LRU model gives the simulator's lru hit count.
    long capacity = t.uniqueBytes() / 3 + 1;
    assertEquals(
        lruHits(accesses, weights, capacity),
        Simulator.simulate(t, "lru", capacity, "third").hits(),
        "seed " + seed);
  }

  private static long lruHits(List<String> accesses, Map<String, Integer> weights, long capacity) {
    LinkedHashMap<String, Integer> lru = new LinkedHashMap<>(16, 0.75f, true);
    long used = 0;
    long hits = 0;
    for (String a : accesses) {
      if (lru.get(a) != null) {
        hits++;
        continue;
      }
      int w = weights.get(a);
      if (w > capacity) {
        continue;
      }
      lru.put(a, w);
      used += w;
      var it = lru.entrySet().iterator();
      while (used > capacity) {
        var e = it.next();
        used -= e.getValue();
        it.remove();
      }
    }
    return hits;
  }

  @Test
  void theSimulatorCommandReplaysARecordedTrace() throws Exception {
    Path file = tmp.resolve("run.trace");
    try (TraceRecorder rec = TraceRecorder.create(file, "run busybox:1")) {
      for (int i = 0; i < 30; i++) {
        rec.record("c" + (i % 7), 4096);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int exit =
        Simulator.run(
            new String[] {"--trace", file.toString(), "--sizes", "100%", "--policies", "lru"},
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    assertEquals(0, exit);
    String table = out.toString(StandardCharsets.UTF_8);
    // 30 accesses of 7 chunks in a cache that holds them all: 23 hits.
    assertTrue(table.contains("76.67%"), table);
  }

  @Test
  void badInputIsRefusedAndNamed() throws Exception {
    try (TraceRecorder rec = TraceRecorder.create(tmp.resolve("x.trace"), "x")) {
      IllegalArgumentException space =
          assertThrows(IllegalArgumentException.class, () -> rec.record("a b", 1));
      assertTrue(space.getMessage().contains("\"a b\""), space.getMessage());
      IllegalArgumentException weight =
          assertThrows(IllegalArgumentException.class, () -> rec.record("a", 0));
      assertTrue(weight.getMessage().contains("0"), weight.getMessage());
      assertEquals(0, rec.accesses());
    }
    BlockliftException dir =
        assertThrows(
            BlockliftException.class,
            () -> TraceRecorder.create(tmp.resolve("no/such/dir/x.trace"), "x"));
    assertTrue(dir.getMessage().contains("no/such/dir"), dir.getMessage());
  }
}
