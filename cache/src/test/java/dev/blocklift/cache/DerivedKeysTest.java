package dev.blocklift.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.blocklift.cache.policy.Policies;
import dev.blocklift.cache.tier.MemoryTier;
import dev.blocklift.core.ChunkName;
import dev.blocklift.core.CorruptChunkException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** How the cache fleet can keep shards in the same tiers: derived keys, its own verifier. */
class DerivedKeysTest {
  @Test
  void derivedKeysAreStableAndDistinct() {
    ChunkName c = Chunks.name(Chunks.random(1, 100));
    assertEquals(DerivedKeys.derive(c, "shard", 0), DerivedKeys.derive(c, "shard", 0));
    assertNotEquals(DerivedKeys.derive(c, "shard", 0), DerivedKeys.derive(c, "shard", 1));
    assertNotEquals(DerivedKeys.derive(c, "shard", 0), DerivedKeys.derive(c, "other", 0));
    assertNotEquals(c, DerivedKeys.derive(c, "shard", 0));
  }

  @Test
  void aTierCanHoldShardsWithItsOwnCheck() {
    // A toy shard format: the last byte is the XOR of the others.
    ChunkVerifier xor =
        (name, bytes, where) -> {
          byte x = 0;
          for (int i = 0; i < bytes.length - 1; i++) {
            x ^= bytes[i];
          }
          if (bytes.length == 0 || x != bytes[bytes.length - 1]) {
            throw new CorruptChunkException(name, where, "shard checksum mismatch");
          }
        };
    MemoryTier t = new MemoryTier("shards", Policies.defaultPolicy(1 << 20), xor);
    byte[] shard = Arrays.copyOf(Chunks.random(2, 99), 100);
    for (int i = 0; i < 99; i++) {
      shard[99] ^= shard[i];
    }
    ChunkName key = DerivedKeys.derive(Chunks.name(Chunks.random(3, 10)), "shard", 4);
    t.put(key, shard);
    assertArrayEquals(shard, t.get(key).orElseThrow());
    shard[0] ^= 1;
    assertThrows(IllegalArgumentException.class, () -> t.put(key, shard));
  }
}
