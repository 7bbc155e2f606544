package dev.blocklift.cache.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.BlockliftException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimulatorTest {
  @TempDir Path tmp;

  @Test
  void generatorsAreSeededAndDeterministic() {
    for (String name : List.of("scan", "zipf", "container")) {
      Trace a = TraceGenerators.byName(name, 7, 0.05);
      Trace b = TraceGenerators.byName(name, 7, 0.05);
      Trace c = TraceGenerators.byName(name, 8, 0.05);
      assertArrayEquals(a.keys(), b.keys(), name);
      assertTrue(a.length() > 1000, name + " has " + a.length() + " accesses");
      assertTrue(!java.util.Arrays.equals(a.keys(), c.keys()), name + ": seed must matter");
    }
  }

  @Test
  void containerStartsReadAboutSixPercentOfTheirImages() {
    Trace t = TraceGenerators.containerStarts(3, 0.2);
    // Popular images recur, so most accesses are to chunks seen before.
    assertTrue(t.uniqueKeys() < t.length() / 5, t.uniqueKeys() + " of " + t.length());
  }

  @Test
  void aScanHurtsLruMoreThanLru2() {
    Trace t = TraceGenerators.scanHeavy(42, 0.1);
    long cap = Simulator.capacityFor(t, "10%");
    double lru = Simulator.simulate(t, "lru", cap, "10%").hitRate();
    double lru2 = Simulator.simulate(t, "lru-2", cap, "10%").hitRate();
    double tiny = Simulator.simulate(t, "w-tinylfu", cap, "10%").hitRate();
    assertTrue(lru2 > lru + 0.05, "lru-2 " + lru2 + " vs lru " + lru);
    assertTrue(tiny > lru + 0.05, "w-tinylfu " + tiny + " vs lru " + lru);
  }

  @Test
  void hitRatesAreExactOnATinyTrace() throws IOException {
    Path f = tmp.resolve("t.trace");
    Files.writeString(f, "# two chunks\na\nb 100\n\na\nb\nc 7\n", StandardCharsets.UTF_8);
    Trace t = TraceFormat.read(f);
    assertEquals(5, t.length());
    assertEquals(3, t.uniqueKeys());
    assertEquals(TraceFormat.DEFAULT_WEIGHT + 107, t.uniqueBytes());
    Simulator.Result r = Simulator.simulate(t, "lru", 1 << 20, "1MiB");
    assertEquals(2, r.hits());
    assertEquals(TraceFormat.DEFAULT_WEIGHT + 100, r.hitBytes());
  }

  @Test
  void traceFilesRoundTrip() throws IOException {
    Trace t = TraceGenerators.zipf(1, 0.01);
    Path f = tmp.resolve("z.trace");
    TraceFormat.write(t, f);
    Trace back = TraceFormat.read(f);
    assertEquals(t.length(), back.length());
    assertEquals(t.uniqueKeys(), back.uniqueKeys());
    long cap = Simulator.capacityFor(t, "5%");
    // Reading renumbers the chunks; policies that only compare keys give identical results...
    for (String p : List.of("lru", "lru-2")) {
      assertEquals(
          Simulator.simulate(t, p, cap, "5%").hits(),
          Simulator.simulate(back, p, cap, "5%").hits(),
          p);
    }
    // ...while sketch-based ones hash the ids, so collisions differ a little.
    for (String p : List.of("w-tinylfu", "caffeine")) {
      double a = Simulator.simulate(t, p, cap, "5%").hitRate();
      double b = Simulator.simulate(back, p, cap, "5%").hitRate();
      assertEquals(a, b, 0.03, p);
    }
  }

  @Test
  void badTraceLinesNameTheLine() throws IOException {
    Path f = tmp.resolve("bad.trace");
    Files.writeString(f, "a\nb twelve\n", StandardCharsets.UTF_8);
    BlockliftException e = assertThrows(BlockliftException.class, () -> TraceFormat.read(f));
    assertTrue(
        e.getMessage().contains("line 2") && e.getMessage().contains("twelve"), e.getMessage());
    assertThrows(BlockliftException.class, () -> TraceFormat.read(tmp.resolve("missing")));
  }

  @Test
  void commandLinePrintsATablePerTrace() throws IOException {
    Path f = tmp.resolve("small.trace");
    TraceFormat.write(TraceGenerators.scanHeavy(5, 0.02), f);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        Simulator.run(
            new String[] {
              "--trace", f.toString(), "--synthetic", "zipf", "--scale", "0.02", "--sizes", "1%,10%"
            },
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(0, code);
    String s = out.toString(StandardCharsets.UTF_8);
    assertTrue(s.contains("trace zipf(seed 42)"), s);
    assertTrue(s.contains("trace small.trace"), s);
    assertTrue(s.contains("| 10% ("), s);
    for (String p : Simulator.DEFAULT_POLICIES) {
      assertTrue(s.contains(p + " hit/byte"), s);
    }
    assertTrue(s.contains("mean hit rate over all traces and sizes"), s);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Simulator.run(
                    new String[] {"--policies", "fifo"},
                    new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8)));
    assertTrue(e.getMessage().contains("fifo"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> Simulator.capacityFor(TraceGenerators.zipf(1, 0.01), "150%"));
  }
}
