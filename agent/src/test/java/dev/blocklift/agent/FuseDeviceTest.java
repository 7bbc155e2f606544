package dev.blocklift.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.ChunkName;
import dev.blocklift.store.FakeChunkSource;
import dev.blocklift.store.Gate;
import dev.blocklift.testing.Processes;
import dev.blocklift.testing.Requirements;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The FUSE presentation, against a real ext4 image and the kernel's FUSE. */
class FuseDeviceTest {
  static final int CHUNK = 512 * 1024;

  @TempDir Path tmp;

  @BeforeEach
  void needs() {
    Requirements.root();
    Requirements.fuse();
    Requirements.commands("mkfs.ext4", "losetup", "mount", "umount");
  }

  @Test
  void readsEqualTheImageAndWritesLandInTheOverlayOnly() throws Exception {
    byte[] img = Files.readAllBytes(Ext4Fixture.busyboxImage(tmp, 1));
    FakeChunkSource src = new FakeChunkSource();
    TestChunks map = new TestChunks("busybox", img, CHUNK, new byte[32], src);
    Map<ChunkName, byte[]> before = new HashMap<>();
    src.chunks().forEach((k, v) -> before.put(k, v.clone()));
    assertTrue(map.storedNames().size() < map.chunkCount(), "the fixture should have holes");
    try (ChunkFetcher f = new ChunkFetcher(src, Duration.ofSeconds(10));
        FuseServer fuse = FuseServer.mount(tmp.resolve("fuse"))) {
      CowOverlay ov = CowOverlay.open(tmp.resolve("overlay"), img.length);
      Path file = fuse.attach("busybox", new CowDevice(new LazyDevice(map, f, 4), ov, false));
      assertEquals(List.of("busybox"), listNames(tmp.resolve("fuse")));
      assertEquals(img.length, Files.size(file));
      assertArrayEquals(img, Files.readAllBytes(file), "FUSE file vs the ext4 image");

      byte[] patch = "written through FUSE".getBytes(java.nio.charset.StandardCharsets.UTF_8);
      long at = 3L * CHUNK + 100;
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(patch), at);
        ch.force(true);
      }
      System.arraycopy(patch, 0, img, (int) at, patch.length);
      assertTrue(ov.has(at / CowOverlay.PAGE));
      assertEquals(1, ov.pages());
      assertTrue(Files.exists(tmp.resolve("overlay").resolve(CowOverlay.BITMAP_FILE)));
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
        ByteBuffer back = ByteBuffer.allocate(patch.length);
        ch.read(back, at);
        assertArrayEquals(patch, back.array());
      }
      // Truncation to another size is refused.
      assertThrows(
          IOException.class,
          () -> {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
              ch.truncate(10);
            }
          });
    }
    // No chunk (what the tiers hold) changed.
    assertEquals(before.keySet(), src.chunks().keySet());
    before.forEach((k, v) -> assertArrayEquals(v, src.chunks().get(k), "chunk " + k));
  }

  @Test
  void aCorruptChunkIsEioNotWrongBytesAndABlockingStoreIsEioInTime() throws Exception {
    byte[] img = Files.readAllBytes(Ext4Fixture.busyboxImage(tmp, 2));
    FakeChunkSource bad = new FakeChunkSource();
    TestChunks map = new TestChunks("busybox", img, CHUNK, new byte[32], bad);
    bad.corruptReads(true);
    FakeChunkSource slow = new FakeChunkSource();
    TestChunks map2 = new TestChunks("busybox2", img, CHUNK, new byte[32], slow);
    Gate gate = slow.hold();
    try (ChunkFetcher fBad = new ChunkFetcher(bad, Duration.ofSeconds(10));
        ChunkFetcher fSlow = new ChunkFetcher(slow, Duration.ofMillis(500));
        FuseServer fuse = FuseServer.mount(tmp.resolve("fuse"))) {
      Path corrupt = fuse.attach("corrupt", new LazyDevice(map, fBad, 4));
      Path blocking = fuse.attach("blocking", new LazyDevice(map2, fSlow, 4));
      IOException e = assertThrows(IOException.class, () -> readAt(corrupt, 0, 4096));
      assertTrue(
          e.getMessage().contains("Input/output error"), "expected EIO, got " + e.getMessage());
      long start = System.nanoTime();
      IOException e2 = assertThrows(IOException.class, () -> readAt(blocking, 0, 4096));
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertTrue(e2.getMessage().contains("Input/output error"), e2.getMessage());
      assertTrue(ms < 10_000, "EIO took " + ms + " ms");
      assertTrue(fSlow.metrics().timeouts() >= 1);
      // The agent keeps serving: once the store answers, the same file reads correctly.
      gate.open();
      assertArrayEquals(Arrays.copyOfRange(img, 0, 4096), readAt(blocking, 0, 4096));
    } finally {
      Processes.run(List.of("umount", "-l", tmp.resolve("fuse").toString()));
    }
  }

  @Test
  void theFuseFileLoopMountsAsExt4ReadOnly() throws Exception {
    Requirements.loopDevices();
    byte[] img = Files.readAllBytes(Ext4Fixture.busyboxImage(tmp, 3));
    FakeChunkSource src = new FakeChunkSource();
    TestChunks map = new TestChunks("busybox", img, CHUNK, new byte[32], src);
    Path target = Files.createDirectories(tmp.resolve("mnt"));
    try (ChunkFetcher f = new ChunkFetcher(src, Duration.ofSeconds(10));
        FuseServer fuse = FuseServer.mount(tmp.resolve("fuse"));
        ImageMount m =
            ImageMount.open(
                fuse,
                "img",
                // Plaintext for the whole device: the loop does direct I/O on the FUSE file (no
                // page cache there), so a smaller cache would refetch evicted chunks, and this test
                // checks that no chunk is fetched twice.
                new LazyDevice(map, f, map.chunkCount()),
                target,
                true,
                tmp.resolve("ov"),
                false)) {
      assertArrayEquals(
          Files.readAllBytes(tmp.resolve("tree").resolve(Ext4Fixture.DATA_FILE)),
          Files.readAllBytes(target.resolve(Ext4Fixture.DATA_FILE)));
      assertArrayEquals(
          Files.readAllBytes(Path.of("/bin/busybox")),
          Files.readAllBytes(target.resolve("bin/busybox")));
      assertTrue(f.metrics().fetches() <= map.storedNames().size());
      assertFalse(m.loopDevice().isEmpty());
    }
    assertFalse(ContainerRun.isMountPoint(target), "unmounted after close");
  }

  @Test
  void concurrentDirectReadsOfAllSizesEqualTheImage() throws Exception {
    long seed = 4242;
    byte[] img = Files.readAllBytes(Ext4Fixture.busyboxImage(tmp, 4));
    FakeChunkSource src = new FakeChunkSource();
    TestChunks map = new TestChunks("busybox", img, CHUNK, new byte[32], src);
    try (ChunkFetcher f = new ChunkFetcher(src, Duration.ofSeconds(10));
        FuseServer fuse = FuseServer.mount(tmp.resolve("fuse"))) {
      // 16 plaintext chunks: readahead on (4 chunks), so it runs under concurrent FUSE reads too.
      Path file = fuse.attach("img", new LazyDevice(map, f, 16));
      List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
      try (var pool = java.util.concurrent.Executors.newFixedThreadPool(8);
          FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, directOption())) {
        for (int t = 0; t < 8; t++) {
          java.util.SplittableRandom r = new java.util.SplittableRandom(seed + t);
          int thread = t;
          done.add(
              pool.submit(
                  () -> {
                    // O_DIRECT: 4 KiB-aligned offsets and sizes, from one page to 1 MiB.
                    ByteBuffer raw = ByteBuffer.allocateDirect((1 << 20) + 4096);
                    for (int i = 0; i < 200; i++) {
                      int pages = 1 << r.nextInt(9);
                      int blocks = img.length / 4096 - pages;
                      long off = r.nextInt(blocks + 1) * 4096L;
                      int size = pages * 4096;
                      ByteBuffer b = raw.clear().alignedSlice(4096).slice(0, size);
                      while (b.hasRemaining()) {
                        assertTrue(ch.read(b, off + b.position()) > 0, "EOF @" + off);
                      }
                      byte[] got = new byte[size];
                      b.flip().get(got);
                      assertArrayEquals(
                          Arrays.copyOfRange(img, (int) off, (int) off + got.length),
                          got,
                          "seed " + (seed + thread) + " read @" + off + "+" + got.length);
                    }
                    return null;
                  }));
        }
        for (var d : done) {
          d.get();
        }
      }
      // A whole sequential pass (with readahead) equals the image too.
      assertArrayEquals(img, Files.readAllBytes(file));
    }
  }

  /** O_DIRECT, looked up by name: naming the JDK-internal class directly warns at compile time. */
  static java.nio.file.OpenOption directOption() throws ReflectiveOperationException {
    return (java.nio.file.OpenOption)
        Class.forName("com.sun.nio.file.ExtendedOpenOption").getField("DIRECT").get(null);
  }

  static byte[] readAt(Path file, long offset, int length) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate(length);
      while (b.hasRemaining()) {
        if (ch.read(b, offset + b.position()) < 0) {
          break;
        }
      }
      return b.array();
    }
  }

  static List<String> listNames(Path dir) throws IOException {
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
