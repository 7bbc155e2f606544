package dev.blocklift.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.ChunkName;
import dev.blocklift.store.ChunkStore;
import dev.blocklift.store.ChunkStoreContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The chunk store contract against a real S3-compatible server (S3Proxy, filesystem backend). */
class S3ChunkStoreTest extends ChunkStoreContract {
  @TempDir static Path serverDir;
  static S3ProxyServer server;
  static final AtomicInteger BUCKETS = new AtomicInteger();
  String bucket;

  @BeforeAll
  static void startServer() throws Exception {
    server = S3ProxyServer.start(serverDir);
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  @Override
  protected ChunkStore newStore() {
    bucket = "chunks-" + BUCKETS.incrementAndGet();
    server.createBucket(bucket);
    return S3ChunkStore.open(server.config(bucket, "some/prefix"), S3ProxyServer.credentials());
  }

  @Override
  protected void flipBit(ChunkStore s, ChunkName name, long bitIndex) throws Exception {
    Path file = objectFile(name);
    byte[] b = Files.readAllBytes(file);
    int i = (int) (bitIndex / 8) % b.length;
    b[i] ^= (byte) (1 << (bitIndex % 8));
    Files.write(file, b);
  }

  private Path objectFile(ChunkName name) throws Exception {
    try (Stream<Path> files = Files.walk(serverDir.resolve(bucket))) {
      List<Path> hits = files.filter(p -> p.getFileName().toString().equals(name.hex())).toList();
      assertEquals(1, hits.size(), "the backend holds the object as one file: " + hits);
      return hits.get(0);
    }
  }

  @Test
  void keyLayoutIsPrefixChunksShardName() throws Exception {
    Chunk c = randomChunk(new SplittableRandom(21), 100);
    store.putIfAbsent(c.name(), c.bytes());
    String expected = "some/prefix/chunks/" + c.name().prefix(2) + "/" + c.name().hex();
    assertEquals(expected, ((S3ChunkStore) store).key(c.name()));
    assertTrue(
        serverDir.resolve(bucket).relativize(objectFile(c.name())).toString().equals(expected));
  }
}
