package dev.blocklift.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.store.FakeChunkSource;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

class PlaintextCacheTest {

  @Test
  void aNegativeCapacityIsRefusedWithItsValue() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new PlaintextCache(-5));
    assertTrue(e.getMessage().contains("-5"), e.getMessage());
  }

  @Test
  void ownersNeverSeeEachOthersChunks() {
    PlaintextCache c = new PlaintextCache(1000);
    Object a = new Object();
    Object b = new Object();
    byte[] pa = {1};
    byte[] pb = {2};
    c.put(a, 0, pa);
    c.put(b, 0, pb);
    assertSame(pa, c.get(a, 0));
    assertSame(pb, c.get(b, 0));
    c.invalidate(a);
    assertNull(c.get(a, 0));
    assertSame(pb, c.get(b, 0));
    assertEquals(1, c.size());
  }

  @Test
  void anEntryLargerThanTheCacheIsNotKept() {
    PlaintextCache c = new PlaintextCache(10);
    c.put(this, 0, new byte[11]);
    assertNull(c.get(this, 0));
    assertEquals(0, c.size());
  }

  /** Model check: the cache behaves as an access-ordered LRU bounded in bytes. */
  @RepeatedTest(5)
  void staysWithinItsBytesAndEvictsTheLeastRecentlyUsed(RepetitionInfo info) {
    long seed = 77L + info.getCurrentRepetition();
    SplittableRandom r = new SplittableRandom(seed);
    long capacity = 1000;
    PlaintextCache c = new PlaintextCache(capacity);
    LinkedHashMap<Integer, byte[]> model = new LinkedHashMap<>(16, 0.75f, true);
    Object owner = new Object();
    for (int step = 0; step < 2000; step++) {
      int index = r.nextInt(40);
      if (r.nextBoolean()) {
        assertSame(model.get(index), c.get(owner, index), "seed " + seed + " step " + step);
      } else {
        byte[] p = new byte[1 + r.nextInt(200)];
        c.put(owner, index, p);
        model.put(index, p);
        long total = model.values().stream().mapToLong(v -> v.length).sum();
        var it = model.values().iterator();
        while (total > capacity) {
          total -= it.next().length;
          it.remove();
        }
      }
      long held = model.values().stream().mapToLong(v -> v.length).sum();
      assertEquals(held, c.size(), "seed " + seed + " step " + step);
      assertTrue(c.size() <= capacity, "seed " + seed);
    }
  }

  @Test
  void devicesSharingOneCacheReadTheirOwnImages() throws IOException {
    int chunk = LazyDeviceTest.CHUNK;
    List<byte[]> images = new ArrayList<>();
    FakeChunkSource src = new FakeChunkSource();
    Map<Integer, TestChunks> maps = new HashMap<>();
    for (int i = 0; i < 3; i++) {
      byte[] img = LazyDeviceTest.dense(300 + i, 6);
      images.add(img);
      maps.put(i, new TestChunks("img" + i, img, chunk, new byte[32], src));
    }
    PlaintextCache shared = new PlaintextCache(8L * chunk);
    try (ChunkFetcher f = new ChunkFetcher(src, Duration.ofSeconds(10))) {
      List<LazyDevice> devices = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        devices.add(new LazyDevice(maps.get(i), f, shared, 2, Runnable::run));
      }
      SplittableRandom r = new SplittableRandom(31);
      for (int step = 0; step < 300; step++) {
        int i = r.nextInt(3);
        byte[] img = images.get(i);
        long off = r.nextLong(img.length - 5000);
        byte[] got = new byte[5000];
        devices.get(i).read(off, got, 0, got.length);
        assertArrayEquals(
            Arrays.copyOfRange(img, (int) off, (int) off + got.length),
            got,
            "seed 31 step " + step + " device " + i);
        assertTrue(shared.size() <= shared.capacity());
      }
      for (LazyDevice d : devices) {
        d.close();
      }
      assertEquals(0, shared.size(), "closing every device empties the shared cache");
    }
  }
}
