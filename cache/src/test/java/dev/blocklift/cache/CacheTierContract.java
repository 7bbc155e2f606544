package dev.blocklift.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.ChunkName;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The contract every {@link CacheTier} meets; each implementation's test extends this. */
public abstract class CacheTierContract {
  private final List<CacheTier> opened = new ArrayList<>();

  /** A fresh, empty tier with the given byte budget. */
  protected abstract CacheTier create(long capacityBytes) throws IOException;

  protected final CacheTier open(long capacityBytes) throws IOException {
    CacheTier t = create(capacityBytes);
    opened.add(t);
    return t;
  }

  @AfterEach
  void closeAll() throws IOException {
    for (CacheTier t : opened) {
      t.close();
    }
  }

  @Test
  void storesAndServesChunks() throws IOException {
    CacheTier t = open(1 << 20);
    byte[] c = Chunks.random(1, 4096);
    ChunkName n = Chunks.name(c);
    assertEquals(Optional.empty(), t.get(n));
    assertFalse(t.exists(n));
    assertTrue(t.put(n, c));
    assertTrue(t.exists(n));
    assertArrayEquals(c, t.get(n).orElseThrow());
    assertFalse(t.put(n, c), "second put of the same chunk");
    assertEquals(4096, t.sizeBytes());
    assertEquals(1, t.entryCount());
    assertEquals(1 << 20, t.capacityBytes());
    assertFalse(t.describe().isBlank());
  }

  @Test
  void arraysAreNotShared() throws IOException {
    CacheTier t = open(1 << 20);
    byte[] c = Chunks.random(2, 1000);
    byte[] original = c.clone();
    ChunkName n = Chunks.name(c);
    t.put(n, c);
    c[0] ^= 1; // the caller scribbles on its array after the put
    byte[] a = t.get(n).orElseThrow();
    assertArrayEquals(original, a);
    a[1] ^= 1; // and on a returned array
    byte[] b = t.get(n).orElseThrow();
    assertArrayEquals(original, b);
    assertNotSame(a, b);
  }

  @Test
  void refusesBytesThatDoNotMatchTheName() throws IOException {
    CacheTier t = open(1 << 20);
    byte[] c = Chunks.random(3, 100);
    ChunkName wrong = Chunks.name(Chunks.random(4, 100));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> t.put(wrong, c));
    assertTrue(e.getMessage().contains(wrong.hex()), e.getMessage());
    assertFalse(t.exists(wrong));
    assertEquals(0, t.sizeBytes());
  }

  @Test
  void removesChunks() throws IOException {
    CacheTier t = open(1 << 20);
    byte[] c = Chunks.random(5, 100);
    ChunkName n = Chunks.name(c);
    t.put(n, c);
    assertTrue(t.remove(n));
    assertFalse(t.remove(n));
    assertEquals(Optional.empty(), t.get(n));
    assertEquals(0, t.sizeBytes());
    assertEquals(1, t.stats().removals());
  }

  @Test
  void refusesAChunkLargerThanTheBudget() throws IOException {
    CacheTier t = open(1000);
    byte[] c = Chunks.random(6, 1001);
    assertFalse(t.put(Chunks.name(c), c));
    assertEquals(0, t.sizeBytes());
    assertEquals(1, t.stats().rejected());
  }

  @Test
  void countsHitsMissesAndEvictions() throws IOException {
    CacheTier t = open(3000);
    List<byte[]> cs = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      byte[] c = Chunks.random(100 + i, 1000);
      cs.add(c);
      t.put(Chunks.name(c), c);
    }
    TierStats s = t.stats();
    assertEquals(1, s.evictions() + s.rejected(), "one chunk had to go: " + s);
    assertEquals(4 - s.rejected(), s.puts());
    assertEquals(1000 * s.puts(), s.putBytes());
    assertEquals(1000 * s.evictions(), s.evictedBytes());
    assertEquals(3, s.entries());
    assertEquals(3000, s.sizeBytes());
    int hits = 0;
    for (byte[] c : cs) {
      hits += t.get(Chunks.name(c)).isPresent() ? 1 : 0;
    }
    s = t.stats();
    assertEquals(3, hits);
    assertEquals(3, s.hits());
    assertEquals(1, s.misses());
    assertEquals(3000, s.hitBytes());
    assertEquals(0.75, s.hitRate(), 1e-9);
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 99})
  void neverExceedsItsBudget(long seed) throws IOException {
    SplittableRandom rnd = new SplittableRandom(seed);
    long capacity = 20_000L + rnd.nextInt(30_000);
    CacheTier t = open(capacity);
    List<byte[]> universe = new ArrayList<>();
    for (int i = 0; i < 120; i++) {
      universe.add(Chunks.random(rnd, 1 + rnd.nextInt(4000)));
    }
    for (int op = 0; op < workloadOps(); op++) {
      byte[] c = universe.get(rnd.nextInt(universe.size()));
      ChunkName n = Chunks.name(c);
      String where = "seed " + seed + " op " + op;
      switch (rnd.nextInt(10)) {
        case 0 -> t.remove(n);
        case 1, 2, 3 -> t.put(n, c);
        default -> t.get(n).ifPresent(b -> assertArrayEquals(c, b, where));
      }
      assertTrue(t.sizeBytes() <= capacity, where + ": " + t.sizeBytes() + " > " + capacity);
    }
    long sum = 0;
    int count = 0;
    for (byte[] c : universe) {
      if (t.exists(Chunks.name(c))) {
        sum += c.length;
        count++;
      }
    }
    assertEquals(sum, t.sizeBytes(), "seed " + seed);
    assertEquals(count, t.entryCount(), "seed " + seed);
    assertTrue(onDiskBytes(t) <= capacity, "seed " + seed + ": stored bytes over budget");
  }

  /** Operations per random workload; a slow medium may use fewer. */
  protected int workloadOps() {
    return 1500;
  }

  /** Bytes the tier actually holds in its medium (the disk tier counts files). */
  protected long onDiskBytes(CacheTier t) throws IOException {
    return t.sizeBytes();
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {5, 6})
  void staysConsistentUnderConcurrency(long seed) throws Exception {
    SplittableRandom rnd = new SplittableRandom(seed);
    long capacity = 40_000;
    CacheTier t = open(capacity);
    List<byte[]> universe = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      universe.add(Chunks.random(rnd, 500 + rnd.nextInt(3000)));
    }
    List<Future<?>> fs = new ArrayList<>();
    try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int w = 0; w < 16; w++) {
        long s = rnd.nextLong();
        fs.add(
            ex.submit(
                () -> {
                  SplittableRandom r = new SplittableRandom(s);
                  for (int op = 0; op < workloadOps() / 5; op++) {
                    byte[] c = universe.get(r.nextInt(universe.size()));
                    ChunkName n = Chunks.name(c);
                    if (r.nextBoolean()) {
                      t.put(n, c);
                    } else {
                      Optional<byte[]> got = t.get(n);
                      if (got.isPresent()) {
                        assertArrayEquals(c, got.get(), "seed " + seed);
                      }
                    }
                    assertTrue(t.sizeBytes() <= capacity, "seed " + seed);
                  }
                  return null;
                }));
      }
      for (Future<?> f : fs) {
        f.get();
      }
    }
    long sum = 0;
    for (byte[] c : universe) {
      if (t.exists(Chunks.name(c))) {
        sum += c.length;
      }
    }
    assertEquals(sum, t.sizeBytes(), "seed " + seed);
    assertTrue(onDiskBytes(t) <= capacity, "seed " + seed);
  }
}
