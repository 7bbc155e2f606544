package dev.blocklift.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.ChunkName;
import dev.blocklift.core.CorruptChunkException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link ChunkSource}, run by every implementation (stores, cache tiers, chains,
 * the store counter, the fleet client): a present chunk comes back as exactly its bytes, a missing
 * one as {@link Optional#empty()}, concurrent reads each get their own bytes, returned arrays
 * belong to the caller, and bytes that do not hash to their name are never returned as good.
 *
 * <p>An implementation's test says how to make a source serving given chunks and, if it can, how to
 * corrupt a chunk behind the source's back.
 */
public abstract class ChunkSourceContract {
  private final List<AutoCloseable> opened = new ArrayList<>();

  /** A source that serves exactly {@code chunks} (each under its content name). */
  protected abstract ChunkSource newSource(Map<ChunkName, byte[]> chunks) throws Exception;

  /**
   * Corrupts the bytes behind {@code name} in {@code source}'s backing (flips a bit), or returns
   * false if the implementation has no backing of its own to corrupt (the test is then skipped).
   */
  protected boolean corrupt(ChunkSource source, ChunkName name) throws Exception {
    return false;
  }

  /** Registers something the test closes afterwards (the source itself is closed if closeable). */
  protected final <T extends AutoCloseable> T closeLater(T c) {
    opened.add(c);
    return c;
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : opened.reversed()) {
      c.close();
    }
    opened.clear();
  }

  private ChunkSource open(Map<ChunkName, byte[]> chunks) throws Exception {
    ChunkSource s = newSource(chunks);
    if (s instanceof AutoCloseable c) {
      opened.add(c);
    }
    return s;
  }

  protected static Map<ChunkName, byte[]> chunks(long seed, int... sizes) {
    SplittableRandom r = new SplittableRandom(seed);
    Map<ChunkName, byte[]> m = new LinkedHashMap<>();
    for (int size : sizes) {
      byte[] b = new byte[size];
      r.nextBytes(b);
      m.put(ChunkName.ofCiphertext(b), b);
    }
    return m;
  }

  @Test
  void aPresentChunkIsExactlyItsBytes() throws Exception {
    Map<ChunkName, byte[]> cs = chunks(1, 1, 4096, 300_000, 512 * 1024);
    ChunkSource s = open(cs);
    for (Map.Entry<ChunkName, byte[]> e : cs.entrySet()) {
      assertArrayEquals(e.getValue(), s.get(e.getKey()).orElseThrow(), e.getKey().toString());
      assertTrue(s.exists(e.getKey()));
    }
  }

  @Test
  void aMissingChunkIsEmpty() throws Exception {
    ChunkSource s = open(chunks(2, 1000));
    ChunkName missing = chunks(3, 1000).keySet().iterator().next();
    assertEquals(Optional.empty(), s.get(missing));
    assertFalse(s.exists(missing));
  }

  @Test
  void returnedArraysBelongToTheCaller() throws Exception {
    Map<ChunkName, byte[]> cs = chunks(4, 5000);
    ChunkName n = cs.keySet().iterator().next();
    ChunkSource s = open(cs);
    byte[] first = s.get(n).orElseThrow();
    Arrays.fill(first, (byte) 0);
    assertArrayEquals(cs.get(n), s.get(n).orElseThrow());
  }

  @Test
  void concurrentReadsEachGetTheirOwnBytes() throws Exception {
    Map<ChunkName, byte[]> cs = chunks(5, 1000, 2000, 3000, 70_000, 100_000, 4, 65_536, 9);
    ChunkSource s = open(cs);
    List<ChunkName> names = List.copyOf(cs.keySet());
    assertTimeoutPreemptively(
        Duration.ofSeconds(60),
        () -> {
          try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
              int offset = t;
              fs.add(
                  pool.submit(
                      () -> {
                        for (int i = 0; i < names.size() * 2; i++) {
                          ChunkName n = names.get((i + offset) % names.size());
                          assertArrayEquals(cs.get(n), s.get(n).orElseThrow());
                        }
                        return null;
                      }));
            }
            for (Future<?> f : fs) {
              f.get();
            }
          }
        });
  }

  @Test
  void corruptBytesAreNeverReturnedAsGood() throws Exception {
    Map<ChunkName, byte[]> cs = chunks(6, 20_000, 30_000);
    ChunkSource s = open(cs);
    ChunkName n = cs.keySet().iterator().next();
    Assumptions.assumeTrue(corrupt(s, n), "this source has no backing of its own to corrupt");
    Optional<byte[]> got;
    try {
      got = s.get(n);
    } catch (CorruptChunkException | IOException e) {
      return; // refused, as the contract allows
    }
    got.ifPresent(b -> assertArrayEquals(cs.get(n), b, "only the named bytes, never others"));
    ChunkName other = List.copyOf(cs.keySet()).get(1);
    assertArrayEquals(cs.get(other), s.get(other).orElseThrow(), "other chunks unaffected");
  }

  @Test
  void describesItself() throws Exception {
    String d = open(chunks(7, 10)).describe();
    assertNotEquals("", d.strip());
  }
}
