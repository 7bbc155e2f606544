package dev.blocklift.store.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.ChunkName;
import dev.blocklift.store.ChunkBatch;
import dev.blocklift.store.ChunkStore;
import dev.blocklift.store.ChunkStoreContract;
import dev.blocklift.store.FsyncPolicy;
import dev.blocklift.store.StoredChunk;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalChunkStoreTest extends ChunkStoreContract {
  @TempDir Path dir;

  @Override
  protected ChunkStore newStore() throws IOException {
    return new LocalChunkStore(dir.resolve("chunks"), FsyncPolicy.FULL);
  }

  @Override
  protected void flipBit(ChunkStore s, ChunkName name, long bitIndex) throws IOException {
    Path file = ((LocalChunkStore) s).path(name);
    byte[] b = Files.readAllBytes(file);
    int i = (int) (bitIndex / 8) % b.length;
    b[i] ^= (byte) (1 << (bitIndex % 8));
    Files.write(file, b);
  }

  @Test
  void chunksAreShardedByTwoLevelsOfPrefix() throws IOException {
    Chunk c = randomChunk(new SplittableRandom(11), 10);
    store.putIfAbsent(c.name(), c.bytes());
    String h = c.name().hex();
    assertTrue(
        Files.isRegularFile(
            dir.resolve("chunks")
                .resolve(h.substring(0, 2))
                .resolve(h.substring(2, 4))
                .resolve(h)));
  }

  @Test
  void leftoverTemporaryFilesAreNotListedAndCanBeSweptWhenOld() throws IOException {
    Chunk c = randomChunk(new SplittableRandom(12), 10);
    store.putIfAbsent(c.name(), c.bytes());
    Path shard = ((LocalChunkStore) store).path(c.name()).getParent();
    Path stale = shard.resolve(AtomicFiles.TEMP_PREFIX + "killed");
    Path fresh = shard.resolve(AtomicFiles.TEMP_PREFIX + "working");
    Files.write(stale, new byte[] {1, 2, 3});
    Files.write(fresh, new byte[] {1});
    Files.setLastModifiedTime(stale, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
    try (Stream<StoredChunk> s = store.list()) {
      assertEquals(1, s.count());
    }
    assertEquals(1, ((LocalChunkStore) store).removeStaleTemporaryFiles(Duration.ofHours(1)));
    assertFalse(Files.exists(stale));
    assertTrue(Files.exists(fresh));
  }

  @Test
  void aBatchPutReplacesAChunkTornByACrashAndCommitSyncsEveryPolicy() throws IOException {
    for (FsyncPolicy p : FsyncPolicy.values()) {
      try (LocalChunkStore s = new LocalChunkStore(dir.resolve("torn-" + p), p)) {
        Chunk c = randomChunk(new SplittableRandom(21), 5000);
        Path file = s.path(c.name());
        Files.createDirectories(file.getParent());
        Files.write(file, new byte[0]); // what a power loss can leave of an unsynced chunk
        try (ChunkBatch batch = s.batch()) {
          assertEquals(-1, batch.reuse(c.name(), 5000), "a torn chunk is not re-used");
          assertTrue(batch.putIfAbsent(c.name(), c.bytes()), "it is replaced");
          batch.commit();
        }
        assertTrue(s.get(c.name()).isPresent());
        try (Stream<Path> staged = Files.list(dir.resolve("torn-" + p).resolve(".staging"))) {
          assertEquals(0, staged.count(), "no temporary file left");
        }
      }
    }
  }

  @Test
  void stagingLeftoversOfGoneProcessesAreRemovedAndALiveOnesKept() throws Exception {
    Process done = new ProcessBuilder("true").start();
    done.waitFor();
    Process live = new ProcessBuilder("sleep", "300").start();
    try {
      Path staging = dir.resolve("chunks").resolve(".staging");
      Path dead = Files.write(staging.resolve(".tmp-" + done.pid() + "-a"), new byte[] {1});
      Path alive = Files.write(staging.resolve(".tmp-" + live.pid() + "-b"), new byte[] {1});
      Path legacy = Files.write(staging.resolve(".tmp-legacy"), new byte[] {1});
      LocalChunkStore local = (LocalChunkStore) store;
      assertEquals(1, local.removeLeftoverStagingFiles(Duration.ofHours(1)));
      assertFalse(Files.exists(dead));
      assertTrue(Files.exists(alive));
      assertTrue(Files.exists(legacy), "a recent file without a pid may be a writer's");
      Files.setLastModifiedTime(legacy, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
      assertEquals(1, local.removeStaleTemporaryFiles(Duration.ofHours(1)));
      assertTrue(Files.exists(alive));
    } finally {
      live.destroyForcibly();
      live.waitFor();
    }
  }

  @Test
  void touchMakesAnOldChunkYoungAgain() throws IOException {
    Chunk c = randomChunk(new SplittableRandom(14), 10);
    store.putIfAbsent(c.name(), c.bytes());
    Path file = ((LocalChunkStore) store).path(c.name());
    Instant old = Instant.now().minus(Duration.ofDays(3));
    Files.setLastModifiedTime(file, FileTime.from(old));
    assertTrue(
        store
            .stat(c.name())
            .orElseThrow()
            .lastModified()
            .isBefore(Instant.now().minus(Duration.ofDays(2))));
    assertTrue(store.touch(c.name()));
    assertTrue(
        store
            .stat(c.name())
            .orElseThrow()
            .lastModified()
            .isAfter(Instant.now().minus(Duration.ofMinutes(5))));
  }

  @Test
  void relaxedFsyncPoliciesStillStoreAndVerify() throws IOException {
    for (FsyncPolicy p : FsyncPolicy.values()) {
      try (LocalChunkStore s = new LocalChunkStore(dir.resolve("p-" + p), p)) {
        Chunk c = randomChunk(new SplittableRandom(13), 5000);
        assertTrue(s.putIfAbsent(c.name(), c.bytes()));
        assertTrue(s.get(c.name()).isPresent());
      }
    }
  }
}
