package dev.blocklift.fleet.coding;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.ChunkName;
import dev.blocklift.core.CorruptDataException;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ShardCodecTest {
  @ParameterizedTest(name = "k={0} m={1}")
  @CsvSource({"4,1", "4,2", "6,3", "1,0"})
  void chunksRoundTripThroughAnyKShards(int k, int m) {
    long seed = 77L * k + m;
    SplittableRandom r = new SplittableRandom(seed);
    ShardCodec codec = new ShardCodec(k, m);
    int[] lengths = {0, 1, k - 1 < 0 ? 0 : k - 1, k, k + 1, 1000, 512 * 1024, 512 * 1024 - 3};
    for (int len : lengths) {
      byte[] chunk = new byte[len];
      r.nextBytes(chunk);
      ChunkName name = ChunkName.ofCiphertext(chunk);
      Shard[] shards = codec.encode(name, chunk);
      assertEquals(k + m, shards.length);
      for (Shard s : shards) {
        assertEquals(Shard.payloadLength(len, k), s.payloadLength());
        Shard.parse(name, s.index(), s.wire(), 4 << 20); // verifies
      }
      for (int mask : ReedSolomonTest.subsets(k + m, k)) {
        Shard[] subset = new Shard[k + m];
        for (int i = 0; i < k + m; i++) {
          if ((mask & (1 << i)) != 0) {
            subset[i] = shards[i];
          }
        }
        assertArrayEquals(
            chunk, codec.decode(subset), "seed=" + seed + " len=" + len + " mask=" + mask);
      }
    }
  }

  @ParameterizedTest(name = "seed={0}")
  @CsvSource({"1", "2", "3", "4", "5"})
  void aFlippedByteIsCaughtByTheChecksum(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    byte[] chunk = new byte[1 + r.nextInt(100_000)];
    r.nextBytes(chunk);
    ChunkName name = ChunkName.ofCiphertext(chunk);
    Shard[] shards = new ShardCodec(4, 1).encode(name, chunk);
    for (Shard s : shards) {
      byte[] bad = s.wire().clone();
      int at = r.nextInt(bad.length);
      bad[at] ^= (byte) (1 << r.nextInt(8));
      CorruptDataException e =
          assertThrows(
              CorruptDataException.class,
              () -> Shard.parse(name, s.index(), bad, 4 << 20),
              "seed=" + seed + " flip at " + at + " of shard " + s.index());
      assertTrue(e.getMessage().length() > 10);
    }
  }

  @org.junit.jupiter.api.Test
  void aShardOfAnotherChunkOrIndexIsRejected() {
    byte[] a = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    byte[] b = {9, 8, 7, 6, 5, 4, 3, 2, 1};
    Shard[] sa = new ShardCodec(4, 1).encode(ChunkName.ofCiphertext(a), a);
    ChunkName nb = ChunkName.ofCiphertext(b);
    assertThrows(CorruptDataException.class, () -> Shard.parse(nb, 0, sa[0].wire(), 1 << 20));
    ChunkName na = ChunkName.ofCiphertext(a);
    assertThrows(CorruptDataException.class, () -> Shard.parse(na, 1, sa[0].wire(), 1 << 20));
    assertThrows(CorruptDataException.class, () -> Shard.parse(na, 0, new byte[3], 1 << 20));
    // A chunk larger than the limit is refused even with a valid checksum.
    assertThrows(CorruptDataException.class, () -> Shard.parse(na, 0, sa[0].wire(), 4));
  }
}
