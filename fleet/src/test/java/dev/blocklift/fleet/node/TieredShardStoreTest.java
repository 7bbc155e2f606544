package dev.blocklift.fleet.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.ChunkName;
import dev.blocklift.core.Hex;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TieredShardStoreTest {
  @Test
  void staysWithinBothBudgetsAndPromotesFromDisk(@TempDir Path dir) throws Exception {
    SplittableRandom r = new SplittableRandom(5);
    try (TieredShardStore s = new TieredShardStore(10_000, dir, 50_000)) {
      byte[][] values = new byte[100][];
      ShardKey[] keys = new ShardKey[100];
      for (int i = 0; i < 100; i++) {
        byte[] name = new byte[32];
        r.nextBytes(name);
        keys[i] = new ShardKey(ChunkName.of(Hex.encode(name)), i % 5);
        values[i] = new byte[1000];
        r.nextBytes(values[i]);
        s.put(keys[i], values[i]);
        var st = s.stats();
        assertTrue(st.memoryBytes() <= 10_000 && st.diskBytes() <= 50_000, st.toString());
      }
      var st = s.stats();
      assertTrue(st.memoryEvictions() > 0 && st.diskEvictions() > 0, st.toString());
      int found = 0;
      for (int i = 0; i < 100; i++) {
        var v = s.get(keys[i]);
        if (v.isPresent()) {
          assertArrayEquals(values[i], v.get());
          found++;
        }
      }
      assertTrue(found >= 40 && found <= 50, "found " + found);
      assertTrue(s.stats().diskHits() > 0);
      s.remove(keys[99]);
      assertTrue(s.get(keys[99]).isEmpty());
    }
  }
}
