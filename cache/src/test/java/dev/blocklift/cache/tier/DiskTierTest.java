package dev.blocklift.cache.tier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.cache.CacheTier;
import dev.blocklift.cache.CacheTierContract;
import dev.blocklift.cache.ChunkVerifier;
import dev.blocklift.cache.Chunks;
import dev.blocklift.cache.MutableClock;
import dev.blocklift.cache.policy.LruKPolicy;
import dev.blocklift.cache.policy.Policies;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ChunkName;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskTierTest extends CacheTierContract {
  @TempDir Path tmp;
  private int dirs;

  @Override
  protected CacheTier create(long capacityBytes) throws IOException {
    return DiskTier.open(tmp.resolve("tier" + dirs++), capacityBytes);
  }

  @Override
  protected int workloadOps() {
    return 500;
  }

  @Override
  protected long onDiskBytes(CacheTier t) throws IOException {
    return chunkFileBytes(((DiskTier) t).directory());
  }

  private static long chunkFileBytes(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile)
          .filter(p -> !p.getFileName().toString().startsWith("."))
          .mapToLong(
              p -> {
                try {
                  return Files.size(p);
                } catch (IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              })
          .sum();
    }
  }

  private DiskTier openAt(Path dir, long capacity, MutableClock clock) throws IOException {
    return DiskTier.open(
        dir, "disk", Policies.defaultPolicy(capacity), ChunkVerifier.NAME_HASH, clock);
  }

  @Test
  void survivesARestart() throws IOException {
    Path dir = tmp.resolve("restart");
    List<byte[]> cs = new ArrayList<>();
    try (DiskTier t = DiskTier.open(dir, 1 << 20)) {
      for (int i = 0; i < 10; i++) {
        byte[] c = Chunks.random(i, 2000 + i);
        cs.add(c);
        t.put(Chunks.name(c), c);
      }
      assertTrue(Files.isRegularFile(t.path(Chunks.name(cs.get(0)))));
      assertEquals(
          Chunks.name(cs.get(0)).prefix(2),
          t.path(Chunks.name(cs.get(0))).getParent().getFileName().toString());
    }
    try (DiskTier t = DiskTier.open(dir, 1 << 20)) {
      DiskTier.LoadReport r = t.loadReport();
      assertEquals(10, r.restored());
      assertEquals(0, r.corruptDropped());
      for (byte[] c : cs) {
        assertArrayEquals(c, t.get(Chunks.name(c)).orElseThrow());
      }
      assertEquals(cs.stream().mapToLong(c -> c.length).sum(), t.sizeBytes());
    }
  }

  @Test
  void dropsCorruptAndPartialFilesOnOpen() throws IOException {
    Path dir = tmp.resolve("corrupt");
    List<byte[]> cs = new ArrayList<>();
    try (DiskTier t = DiskTier.open(dir, 1 << 20)) {
      for (int i = 0; i < 6; i++) {
        byte[] c = Chunks.random(50 + i, 3000);
        cs.add(c);
        t.put(Chunks.name(c), c);
      }
    }
    ChunkName flipped = Chunks.name(cs.get(0));
    ChunkName truncated = Chunks.name(cs.get(1));
    ChunkName emptied = Chunks.name(cs.get(2));
    Path shard = dir.resolve(flipped.prefix(2));
    byte[] bad = cs.get(0).clone();
    bad[1234] ^= 0x40;
    Files.write(shard.resolve(flipped.hex()), bad);
    Files.write(
        dir.resolve(truncated.prefix(2)).resolve(truncated.hex()),
        java.util.Arrays.copyOf(cs.get(1), 100));
    Files.write(dir.resolve(emptied.prefix(2)).resolve(emptied.hex()), new byte[0]);
    Files.write(shard.resolve("." + flipped.hex() + ".123.tmp"), new byte[] {1, 2, 3});
    Path foreign = dir.resolve("README");
    Files.writeString(foreign, "not a chunk");
    try (DiskTier t = DiskTier.open(dir, 1 << 20)) {
      DiskTier.LoadReport r = t.loadReport();
      assertEquals(3, r.restored(), r.toString());
      assertEquals(3, r.corruptDropped(), r.toString());
      assertEquals(1, r.partialDropped(), r.toString());
      assertEquals(1, r.ignored(), r.toString());
      assertEquals(3, t.stats().corruptDropped());
      assertEquals(1, t.stats().partialDropped());
      for (ChunkName gone : List.of(flipped, truncated, emptied)) {
        assertEquals(Optional.empty(), t.get(gone));
        assertFalse(Files.exists(t.path(gone)), gone + " still on disk");
      }
      for (byte[] c : cs.subList(3, 6)) {
        assertArrayEquals(c, t.get(Chunks.name(c)).orElseThrow());
      }
      assertTrue(Files.exists(foreign), "files the tier does not own are left alone");
      try (Stream<Path> s = Files.list(shard)) {
        assertTrue(s.noneMatch(p -> p.toString().endsWith(".tmp")));
      }
    }
  }

  @Test
  void onReadOpenListsWithoutReadingAndTheFirstGetOfABadFileIsAMiss() throws IOException {
    Path dir = tmp.resolve("on-read");
    List<byte[]> cs = new ArrayList<>();
    try (DiskTier t = DiskTier.open(dir, 1 << 20)) {
      for (int i = 0; i < 5; i++) {
        byte[] c = Chunks.random(90 + i, 4000);
        cs.add(c);
        t.put(Chunks.name(c), c);
      }
    }
    ChunkName flipped = Chunks.name(cs.get(0));
    ChunkName emptied = Chunks.name(cs.get(1));
    byte[] bad = cs.get(0).clone();
    bad[17] ^= 0x01;
    Files.write(dir.resolve(flipped.prefix(2)).resolve(flipped.hex()), bad);
    Files.write(dir.resolve(emptied.prefix(2)).resolve(emptied.hex()), new byte[0]);
    try (DiskTier t = DiskTier.open(dir, 1 << 20, DiskTier.LoadCheck.ON_READ)) {
      DiskTier.LoadReport r = t.loadReport();
      assertEquals(4, r.restored(), "the flipped file is not read at open: " + r);
      assertEquals(1, r.corruptDropped(), "an empty file is dropped at open: " + r);
      assertEquals(Optional.empty(), t.get(flipped), "the first get verifies");
      assertFalse(Files.exists(t.path(flipped)), "and deletes the bad file");
      assertEquals(2, t.stats().corruptDropped());
      for (byte[] c : cs.subList(2, 5)) {
        assertArrayEquals(c, t.get(Chunks.name(c)).orElseThrow());
      }
      assertEquals(3L * 4000, t.sizeBytes());
    }
  }

  @Test
  void aFileThatRotsAfterOpenIsAMissAndIsDeleted() throws IOException {
    try (DiskTier t = DiskTier.open(tmp.resolve("rot"), 1 << 20)) {
      byte[] c = Chunks.random(77, 5000);
      ChunkName n = Chunks.name(c);
      t.put(n, c);
      byte[] bad = c.clone();
      bad[0] ^= 1;
      Files.write(t.path(n), bad);
      assertEquals(Optional.empty(), t.get(n));
      assertFalse(Files.exists(t.path(n)));
      assertFalse(t.exists(n));
      assertEquals(0, t.sizeBytes());
      assertEquals(1, t.stats().corruptDropped());
      assertTrue(t.put(n, c), "a corrupt entry can be refilled");
      assertArrayEquals(c, t.get(n).orElseThrow());
    }
  }

  @Test
  void aVanishedFileIsAMiss() throws IOException {
    try (DiskTier t = DiskTier.open(tmp.resolve("vanish"), 1 << 20)) {
      byte[] c = Chunks.random(78, 5000);
      ChunkName n = Chunks.name(c);
      t.put(n, c);
      Files.delete(t.path(n));
      assertEquals(Optional.empty(), t.get(n));
      assertEquals(0, t.sizeBytes());
    }
  }

  /**
   * The rebuilt state depends only on the directory: files are fed to the policy oldest mtime
   * first, and hits refresh mtimes, so a smaller budget after restart keeps the most recent.
   */
  @Test
  void rebuildsRecencyFromMtimesDeterministically() throws IOException {
    Path dir = tmp.resolve("order");
    MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    List<ChunkName> names = new ArrayList<>();
    try (DiskTier t = openAt(dir, 1 << 20, clock)) {
      for (int i = 0; i < 8; i++) {
        byte[] c = Chunks.random(200 + i, 1000);
        names.add(Chunks.name(c));
        t.put(Chunks.name(c), c);
      }
      // Touch the first three: they become the most recent.
      for (int i = 0; i < 3; i++) {
        assertTrue(t.get(names.get(i)).isPresent());
      }
    }
    try (DiskTier t = openAt(dir, 5000, clock)) {
      DiskTier.LoadReport r = t.loadReport();
      assertEquals(5, r.restored(), r.toString());
      assertEquals(3, r.evicted(), r.toString());
      // mtime order: 3 4 5 6 7 0 1 2 (0..2 were touched last); the last five survive.
      for (int i = 0; i < 8; i++) {
        boolean expected = i < 3 || i >= 6;
        assertEquals(expected, t.exists(names.get(i)), "chunk " + i);
        assertEquals(expected, Files.exists(t.path(names.get(i))), "file of chunk " + i);
      }
      // Deterministic: the rebuilt policy evicts in mtime order, the oldest survivor first.
      byte[] extra = Chunks.random(300, 1000);
      t.put(Chunks.name(extra), extra);
      assertFalse(t.exists(names.get(6)), "oldest survivor goes first");
      assertTrue(t.exists(names.get(7)));
    }
  }

  @Test
  void rebuildHonoursAnyPolicy() throws IOException {
    Path dir = tmp.resolve("policy");
    MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    try (DiskTier t = openAt(dir, 1 << 20, clock)) {
      for (int i = 0; i < 4; i++) {
        byte[] c = Chunks.random(400 + i, 1000);
        t.put(Chunks.name(c), c);
      }
    }
    try (DiskTier t =
        DiskTier.open(dir, "disk", new LruKPolicy<>(2000, 2, 10), ChunkVerifier.NAME_HASH, clock)) {
      assertEquals(2, t.entryCount());
      assertEquals(2000, t.sizeBytes());
      assertEquals(2000, chunkFileBytes(dir));
    }
  }

  @Test
  void oneDirectoryOneTier() throws IOException {
    Path dir = tmp.resolve("locked");
    try (DiskTier t = DiskTier.open(dir, 1 << 20)) {
      BlockliftException e =
          assertThrows(BlockliftException.class, () -> DiskTier.open(dir, 1 << 20));
      assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
      assertEquals(0, t.entryCount());
    }
    try (DiskTier again = DiskTier.open(dir, 1 << 20)) {
      assertEquals(0, again.entryCount());
    }
  }
}
