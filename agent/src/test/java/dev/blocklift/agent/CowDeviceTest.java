package dev.blocklift.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.ChunkName;
import dev.blocklift.store.FakeChunkSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CowDeviceTest {
  static final int CHUNK = LazyDeviceTest.CHUNK;

  @TempDir Path tmp;

  @RepeatedTest(8)
  void randomReadsAndWritesMatchAnInMemoryModel(RepetitionInfo info) throws IOException {
    long seed = 77L * info.getCurrentRepetition();
    byte[] img = LazyDeviceTest.image(seed, 8);
    FakeChunkSource src = new FakeChunkSource();
    TestChunks map = new TestChunks("img", img, CHUNK, new byte[32], src);
    Map<ChunkName, byte[]> before = snapshot(src);
    byte[] model = img.clone();
    SplittableRandom r = new SplittableRandom(seed);
    Path dir = tmp.resolve("ov" + seed);
    try (ChunkFetcher f = new ChunkFetcher(src, Duration.ofSeconds(10))) {
      CowDevice d =
          new CowDevice(new LazyDevice(map, f, 2), CowOverlay.open(dir, img.length), false);
      for (int step = 0; step < 400; step++) {
        long off = r.nextLong(model.length);
        int len = (int) Math.min(model.length - off, 1 + r.nextInt(20_000));
        if (r.nextInt(3) == 0) {
          byte[] data = new byte[len];
          r.nextBytes(data);
          d.write(off, data, 0, len);
          System.arraycopy(data, 0, model, (int) off, len);
        } else {
          byte[] got = new byte[len];
          d.read(off, got, 0, len);
          assertArrayEquals(
              Arrays.copyOfRange(model, (int) off, (int) off + len),
              got,
              "seed " + seed + " step " + step + " read @" + off + "+" + len);
        }
        if (step == 200) {
          // Keep the overlay, reopen it: every write must still be there.
          d.close();
          d = new CowDevice(new LazyDevice(map, f, 2), CowOverlay.open(dir, img.length), false);
        }
      }
      byte[] all = new byte[model.length];
      d.read(0, all, 0, all.length);
      assertArrayEquals(model, all, "seed " + seed + " whole device");
      d.close();
    }
    // The chunks (what every tier holds) are untouched.
    assertEquals(before.keySet(), src.chunks().keySet());
    before.forEach((k, v) -> assertArrayEquals(v, src.chunks().get(k), "chunk " + k));
  }

  @Test
  void writesLandInTheOverlayAtPageGranularityAndDiscardRemovesIt() throws IOException {
    byte[] img = LazyDeviceTest.image(5, 4);
    FakeChunkSource src = new FakeChunkSource();
    TestChunks map = new TestChunks("img", img, CHUNK, new byte[32], src);
    Path dir = tmp.resolve("ov");
    try (ChunkFetcher f = new ChunkFetcher(src, Duration.ofSeconds(10))) {
      CowOverlay ov = CowOverlay.open(dir, img.length);
      CowDevice d = new CowDevice(new LazyDevice(map, f, 2), ov, true);
      d.write(5000, new byte[] {1, 2, 3}, 0, 3); // inside page 1
      d.write(4096 * 3 - 1, new byte[] {9, 9}, 0, 2); // straddles pages 2 and 3
      assertFalse(ov.has(0));
      assertTrue(ov.has(1));
      assertTrue(ov.has(2));
      assertTrue(ov.has(3));
      assertEquals(3, ov.pages());
      d.flush();
      assertTrue(Files.exists(dir.resolve(CowOverlay.BITMAP_FILE)));
      // The last, short page of the device can be written too.
      d.write(img.length - 1, new byte[] {7}, 0, 1);
      byte[] last = new byte[1];
      d.read(img.length - 1, last, 0, 1);
      assertEquals(7, last[0]);
      assertThrows(IndexOutOfBoundsException.class, () -> d.write(img.length, new byte[1], 0, 1));
      d.close();
    }
    assertFalse(Files.exists(dir.resolve(CowOverlay.DATA_FILE)));
  }

  @Test
  void aBitmapOfAnotherDeviceIsRefused() throws IOException {
    Path dir = tmp.resolve("ov");
    try (CowOverlay ov = CowOverlay.open(dir, 1 << 20)) {
      ov.writePage(0, new byte[4096], 4096);
    }
    IOException e = assertThrows(IOException.class, () -> CowOverlay.open(dir, 2 << 20));
    assertTrue(e.getMessage().contains("does not belong"), e.getMessage());
  }

  private static Map<ChunkName, byte[]> snapshot(FakeChunkSource src) {
    Map<ChunkName, byte[]> m = new HashMap<>();
    src.chunks().forEach((k, v) -> m.put(k, v.clone()));
    return m;
  }
}
