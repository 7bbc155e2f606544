package dev.blocklift.store.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.ChunkName;
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
