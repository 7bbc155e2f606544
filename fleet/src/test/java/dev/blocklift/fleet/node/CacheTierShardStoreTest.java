package dev.blocklift.fleet.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.ChunkName;
import dev.blocklift.fleet.coding.Shard;
import dev.blocklift.fleet.coding.ShardCodec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CacheTierShardStoreTest {
  private static final long SEED = 5;

  @Test
  void boundedTiersVerifiedEntriesAndRestartKeepsValidShards(@TempDir Path dir) throws Exception {
    SplittableRandom r = new SplittableRandom(SEED);
    ShardCodec codec = new ShardCodec(4, 1);
    List<ShardKey> keys = new ArrayList<>();
    List<byte[]> values = new ArrayList<>();
    try (CacheTierShardStore s = new CacheTierShardStore(10_000, dir, 50_000, 1 << 20)) {
      for (int i = 0; i < 40; i++) {
        byte[] c = new byte[4000];
        r.nextBytes(c);
        ChunkName n = ChunkName.ofCiphertext(c);
        for (Shard sh : codec.encode(n, c)) {
          keys.add(new ShardKey(n, sh.index()));
          values.add(sh.wire());
          s.put(keys.getLast(), sh.wire());
          var st = s.stats();
          assertTrue(st.memoryBytes() <= 10_000 && st.diskBytes() <= 50_000, st.toString());
        }
      }
      var st = s.stats();
      assertTrue(st.memoryEvictions() > 0 && st.diskEvictions() > 0, st.toString());
      int found = 0;
      for (int i = 0; i < keys.size(); i++) {
        var v = s.get(keys.get(i));
        if (v.isPresent()) {
          assertArrayEquals(values.get(i), v.get(), "seed=" + SEED + " shard " + keys.get(i));
          found++;
        }
      }
      assertTrue(found > 20 && found <= 50_000 / 1000, "found " + found);
    }
    // Corrupt one stored file: the restarted store drops it and keeps the others.
    Path victim;
    try (Stream<Path> files = Files.walk(dir.resolve("shards"))) {
      victim =
          files
              .filter(Files::isRegularFile)
              .filter(p -> !p.getFileName().toString().startsWith("."))
              .findFirst()
              .orElseThrow();
    }
    byte[] b = Files.readAllBytes(victim);
    b[b.length / 2] ^= 1;
    Files.write(victim, b);
    try (CacheTierShardStore s = new CacheTierShardStore(10_000, dir, 50_000, 1 << 20)) {
      assertEquals(1, s.loadReport().corruptDropped(), s.loadReport().toString());
      assertTrue(s.loadReport().restored() > 10, s.loadReport().toString());
      int found = 0;
      for (int i = 0; i < keys.size(); i++) {
        var v = s.get(keys.get(i));
        if (v.isPresent()) {
          assertArrayEquals(values.get(i), v.get());
          found++;
        }
      }
      assertEquals(s.loadReport().restored(), found);
      s.remove(keys.get(0));
      assertTrue(s.get(keys.get(0)).isEmpty());
    }
  }
}
