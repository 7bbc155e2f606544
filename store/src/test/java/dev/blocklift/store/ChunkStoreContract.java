package dev.blocklift.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.ChunkName;
import dev.blocklift.core.CorruptChunkException;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link ChunkStore} keeps. An implementation's test extends this class and says
 * how to make a fresh, empty store and how to flip a bit of a stored chunk behind the store's back.
 */
public abstract class ChunkStoreContract {
  /** A fresh, empty store. */
  protected abstract ChunkStore newStore() throws Exception;

  /** Flips one bit of the stored bytes of {@code name}, directly on the backend. */
  protected abstract void flipBit(ChunkStore store, ChunkName name, long bitIndex) throws Exception;

  /** How many concurrent writers the race test starts (lower for slow backends). */
  protected int concurrentWriters() {
    return 32;
  }

  protected ChunkStore store;

  @BeforeEach
  void openStore() throws Exception {
    store = newStore();
  }

  @AfterEach
  void closeStore() throws Exception {
    if (store != null) {
      store.close();
    }
  }

  /** Random bytes standing for a ciphertext, with the name they must be stored under. */
  protected static final class Chunk {
    private final ChunkName name;
    private final byte[] bytes;

    Chunk(ChunkName name, byte[] bytes) {
      this.name = name;
      this.bytes = bytes;
    }

    public ChunkName name() {
      return name;
    }

    public byte[] bytes() {
      return bytes.clone();
    }
  }

  protected static Chunk randomChunk(SplittableRandom random, int size) {
    byte[] b = new byte[size];
    random.nextBytes(b);
    return new Chunk(ChunkName.ofCiphertext(b), b);
  }

  @Test
  void aBatchPutIsVisibleAtOnceAndReuseConfirmsPresenceAndSize() throws IOException {
    Chunk a = randomChunk(new SplittableRandom(31), 3000);
    Chunk b = randomChunk(new SplittableRandom(32), 2000);
    try (ChunkBatch batch = store.batch()) {
      assertTrue(batch.putIfAbsent(a.name(), a.bytes()));
      assertFalse(batch.putIfAbsent(a.name(), a.bytes()), "a second put finds it");
      assertArrayEquals(a.bytes(), store.get(a.name()).orElseThrow(), "visible before commit");
      assertEquals(3000, batch.reuse(a.name(), 3000));
      assertEquals(3000, batch.reuse(a.name(), -1));
      assertEquals(-1, batch.reuse(a.name(), 2999), "another size is not re-used");
      assertEquals(-1, batch.reuse(b.name(), -1), "absent");
      batch.commit();
      batch.commit(); // nothing new: harmless
    }
    assertArrayEquals(a.bytes(), store.get(a.name()).orElseThrow());
    assertFalse(store.exists(b.name()));
  }

  @Test
  void putThenGetReturnsTheSameBytes() throws IOException {
    Chunk c = randomChunk(new SplittableRandom(1), 4096);
    assertTrue(store.putIfAbsent(c.name(), c.bytes()));
    assertArrayEquals(c.bytes(), store.get(c.name()).orElseThrow());
    assertTrue(store.exists(c.name()));
  }

  @Test
  void secondPutOfTheSameNameReportsAlreadyPresent() throws IOException {
    Chunk c = randomChunk(new SplittableRandom(2), 1000);
    assertTrue(store.putIfAbsent(c.name(), c.bytes()), "first put stores");
    assertFalse(store.putIfAbsent(c.name(), c.bytes()), "second put finds it present");
    assertArrayEquals(c.bytes(), store.get(c.name()).orElseThrow());
  }

  @Test
  void missingChunkIsEmptyNotAnError() throws IOException {
    Chunk c = randomChunk(new SplittableRandom(3), 100);
    assertTrue(store.get(c.name()).isEmpty());
    assertFalse(store.exists(c.name()));
    assertFalse(store.delete(c.name()));
  }

  @Test
  void bytesThatDoNotHashToTheNameAreRefused() throws IOException {
    Chunk a = randomChunk(new SplittableRandom(4), 512);
    Chunk b = randomChunk(new SplittableRandom(5), 512);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> store.putIfAbsent(a.name(), b.bytes()));
    assertTrue(e.getMessage().contains(a.name().hex()), "message names the chunk: " + e);
    assertFalse(store.exists(a.name()), "nothing stored under the wrong name");
    assertTrue(store.get(a.name()).isEmpty());
  }

  @Test
  void aBitFlippedOnTheBackendIsReportedAsCorruptNeverAsWrongBytes() throws Exception {
    SplittableRandom random = new SplittableRandom(6);
    Chunk c = randomChunk(random, 8192);
    store.putIfAbsent(c.name(), c.bytes());
    long bit = random.nextLong(8192L * 8);
    flipBit(store, c.name(), bit);
    CorruptChunkException e =
        assertThrows(
            CorruptChunkException.class,
            () -> store.get(c.name()),
            "bit " + bit + " flipped must be detected");
    assertEquals(c.name(), e.chunkName());
  }

  @Test
  void concurrentPutsOfOneNameHaveExactlyOneWinner() throws Exception {
    Chunk c = randomChunk(new SplittableRandom(7), 64 * 1024);
    int writers = concurrentWriters();
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Boolean>> results = new ArrayList<>();
    try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < writers; i++) {
        results.add(
            ex.submit(
                () -> {
                  start.await();
                  return store.putIfAbsent(c.name(), c.bytes());
                }));
      }
      start.countDown();
      int winners = 0;
      for (Future<Boolean> f : results) {
        if (f.get()) {
          winners++;
        }
      }
      assertEquals(1, winners, "exactly one of " + writers + " concurrent puts stores the chunk");
    }
    assertArrayEquals(c.bytes(), store.get(c.name()).orElseThrow());
  }

  @Test
  void listShowsNameSizeAndModificationTime() throws IOException {
    Instant before = Instant.now().minus(Duration.ofMinutes(2));
    SplittableRandom random = new SplittableRandom(8);
    Map<ChunkName, Integer> sizes = new HashMap<>();
    for (int i = 0; i < 12; i++) {
      Chunk c = randomChunk(random, 1 + random.nextInt(5000));
      store.putIfAbsent(c.name(), c.bytes());
      sizes.put(c.name(), c.bytes().length);
    }
    Instant after = Instant.now().plus(Duration.ofMinutes(2));
    Map<ChunkName, StoredChunk> listed;
    try (Stream<StoredChunk> s = store.list()) {
      listed = s.collect(Collectors.toMap(StoredChunk::name, x -> x));
    }
    assertEquals(sizes.keySet(), listed.keySet());
    for (var e : sizes.entrySet()) {
      StoredChunk sc = listed.get(e.getKey());
      assertEquals((long) e.getValue(), sc.size(), "size of " + e.getKey());
      assertTrue(
          !sc.lastModified().isBefore(before) && !sc.lastModified().isAfter(after),
          "lastModified " + sc.lastModified() + " should be about now");
    }
  }

  @Test
  void deleteRemovesAChunk() throws IOException {
    Chunk c = randomChunk(new SplittableRandom(9), 300);
    store.putIfAbsent(c.name(), c.bytes());
    assertTrue(store.delete(c.name()));
    assertFalse(store.exists(c.name()));
    assertTrue(store.get(c.name()).isEmpty());
    assertFalse(store.delete(c.name()));
    try (Stream<StoredChunk> s = store.list()) {
      assertEquals(0, s.count());
    }
    assertTrue(store.putIfAbsent(c.name(), c.bytes()), "a deleted chunk can be stored again");
  }

  @RepeatedTest(3)
  void randomChunksRoundTrip(RepetitionInfo info) throws IOException {
    long seed = 1000L + info.getCurrentRepetition();
    SplittableRandom random = new SplittableRandom(seed);
    List<Chunk> chunks = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      int size = random.nextInt(4) == 0 ? 0 : random.nextInt(70_000);
      chunks.add(randomChunk(random, size));
    }
    for (Chunk c : chunks) {
      store.putIfAbsent(c.name(), c.bytes());
    }
    for (Chunk c : chunks) {
      assertArrayEquals(
          c.bytes(), store.get(c.name()).orElseThrow(), "seed " + seed + " chunk " + c.name());
    }
  }

  @Test
  void statAndTouch() throws Exception {
    Chunk c = randomChunk(new SplittableRandom(10), 777);
    assertTrue(store.stat(c.name()).isEmpty());
    assertFalse(store.touch(c.name()), "touching an absent chunk reports it absent");
    store.putIfAbsent(c.name(), c.bytes());
    StoredChunk s = store.stat(c.name()).orElseThrow();
    assertEquals(777, s.size());
    assertTrue(store.touch(c.name()));
    StoredChunk t = store.stat(c.name()).orElseThrow();
    assertFalse(t.lastModified().isBefore(s.lastModified().minusSeconds(1)), "touch never ages");
    assertArrayEquals(c.bytes(), store.get(c.name()).orElseThrow(), "touch keeps the bytes");
  }

  @Test
  void describeIsNotEmpty() {
    assertFalse(store.describe().isBlank());
  }
}
