package dev.blocklift.chunk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ChunkerTest {
  @TempDir Path dir;

  @Test
  void chunkSizeIsValidated() {
    assertEquals(512 * 1024, ChunkSize.DEFAULT.bytes());
    assertEquals(65536, ChunkSize.parse("64KiB").bytes());
    assertEquals(4 << 20, ChunkSize.parse("4MiB").bytes());
    for (String bad : List.of("32KiB", "8MiB", "100KiB", "0", "lots")) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> ChunkSize.parse(bad), bad);
      assertTrue(e.getMessage().contains(bad) || bad.equals("lots"), e.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> ChunkSize.of(3 * 65536));
    assertEquals(3, ChunkSize.DEFAULT.chunkCount(2L * 512 * 1024 + 1));
    assertEquals(1, ChunkSize.DEFAULT.lengthOf(2, 2L * 512 * 1024 + 1));
    assertEquals(0, ChunkSize.DEFAULT.chunkCount(0));
  }

  @Test
  void zeroDetection() {
    byte[] b = new byte[ChunkSize.MAX * 2 + 5];
    assertTrue(Chunker.isZero(b, 0, b.length));
    b[b.length - 1] = 1;
    assertFalse(Chunker.isZero(b, 0, b.length));
    assertTrue(Chunker.isZero(b, 0, b.length - 1));
  }

  /** A sparse file with data chunks at seeded random places; the chunker must see exactly them. */
  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3})
  void findsDataAndHolesInASparseImage(long seed) throws Exception {
    SplittableRandom r = new SplittableRandom(seed);
    ChunkSize cs = ChunkSize.of(64 * 1024);
    int chunks = 40 + r.nextInt(40);
    long size = (long) chunks * cs.bytes() - r.nextInt(cs.bytes() - 1); // short last chunk
    Path image = dir.resolve("image-" + seed);
    byte[][] expected = new byte[chunks][];
    try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
      f.setLength(size); // sparse: all holes
      for (int i = 0; i < chunks; i++) {
        if (r.nextInt(3) == 0 || i == chunks - 1) {
          int len = cs.lengthOf(i, size);
          byte[] data = new byte[len];
          // sometimes a single non-zero byte at the very end of the chunk
          if (r.nextBoolean()) {
            data[len - 1] = 1;
          } else {
            r.nextBytes(data);
          }
          f.seek(cs.offsetOf(i));
          f.write(data);
          expected[i] = data;
        }
      }
    }
    List<Chunk> got = new ArrayList<>();
    try (Chunker c = Chunker.open(image, cs)) {
      assertEquals(chunks, c.chunkCount(), "seed " + seed);
      assertEquals(size, c.deviceSize());
      for (Chunk ch : c) {
        got.add(ch);
      }
      for (int i = 0; i < chunks; i++) {
        Chunk random = c.read(i);
        assertEquals(expected[i] == null, random.isHole(), "seed " + seed + " chunk " + i);
      }
    }
    assertEquals(chunks, got.size());
    for (int i = 0; i < chunks; i++) {
      Chunk ch = got.get(i);
      assertEquals(i, ch.index());
      assertEquals(cs.offsetOf(i), ch.offset());
      assertEquals(cs.lengthOf(i, size), ch.length(), "seed " + seed + " chunk " + i);
      if (expected[i] == null) {
        assertTrue(ch.isHole(), "seed " + seed + " chunk " + i + " should be a hole");
      } else {
        assertArrayEquals(expected[i], ch.plaintext(), "seed " + seed + " chunk " + i);
      }
    }
  }

  @Test
  void anEmptyImageHasNoChunks() throws Exception {
    Path image = Files.createFile(dir.resolve("empty"));
    try (Chunker c = Chunker.open(image, ChunkSize.DEFAULT)) {
      assertFalse(c.iterator().hasNext());
    }
  }

  @Test
  void plaintextArraysAreOwnedByTheReceiver() throws Exception {
    Path image = dir.resolve("img");
    byte[] data = new byte[3 * 65536];
    Arrays.fill(data, (byte) 7);
    Files.write(image, data);
    List<byte[]> kept = new ArrayList<>();
    try (Chunker c = Chunker.open(image, ChunkSize.of(65536))) {
      c.forEach(ch -> kept.add(ch.plaintext()));
    }
    assertEquals(3, kept.size());
    assertTrue(kept.get(0) != kept.get(1) && kept.get(1) != kept.get(2));
  }
}
