package dev.blocklift.fleet.coding;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ReedSolomonTest {
  @Test
  void fieldAxioms() {
    for (int a = 0; a < 256; a++) {
      assertEquals(a, GaloisField.multiply(a, 1));
      assertEquals(0, GaloisField.multiply(a, 0));
      if (a != 0) {
        assertEquals(1, GaloisField.multiply(a, GaloisField.inverse(a)), "a=" + a);
      }
      for (int b = 0; b < 256; b++) {
        assertEquals(GaloisField.multiply(a, b), GaloisField.multiply(b, a));
      }
    }
    SplittableRandom r = new SplittableRandom(42);
    for (int i = 0; i < 10_000; i++) {
      int a = r.nextInt(256);
      int b = r.nextInt(256);
      int c = r.nextInt(256);
      assertEquals(
          GaloisField.multiply(a, GaloisField.multiply(b, c)),
          GaloisField.multiply(GaloisField.multiply(a, b), c),
          "associativity seed=42 i=" + i);
      assertEquals(
          GaloisField.multiply(a, b ^ c),
          GaloisField.multiply(a, b) ^ GaloisField.multiply(a, c),
          "distributivity seed=42 i=" + i);
    }
    // 2 generates the multiplicative group: its powers hit all 255 non-zero elements.
    boolean[] seen = new boolean[256];
    for (int i = 0; i < 255; i++) {
      seen[GaloisField.power(2, i)] = true;
    }
    for (int x = 1; x < 256; x++) {
      assertEquals(true, seen[x], "2 does not generate " + x);
    }
  }

  @Test
  void singleParityIsXorOfData() {
    ReedSolomon rs = new ReedSolomon(4, 1);
    for (int j = 0; j < 4; j++) {
      assertEquals(1, rs.encodingRow(4)[j]);
    }
  }

  @ParameterizedTest(name = "k={0} m={1}")
  @CsvSource({"4,1", "4,2", "6,3", "1,0", "1,2", "3,0", "10,4", "2,5"})
  void anyKShardsReconstructExactly(int k, int m) {
    long seed = 1000L * k + m;
    SplittableRandom r = new SplittableRandom(seed);
    ReedSolomon rs = new ReedSolomon(k, m);
    int n = k + m;
    for (int round = 0; round < 5; round++) {
      int len = 1 + r.nextInt(3000);
      byte[][] shards = new byte[n][len];
      for (int i = 0; i < k; i++) {
        r.nextBytes(shards[i]);
      }
      rs.encodeParity(shards, 0, len);
      for (int mask : subsets(n, k)) {
        byte[][] work = new byte[n][len];
        boolean[] present = new boolean[n];
        for (int i = 0; i < n; i++) {
          if ((mask & (1 << i)) != 0) {
            work[i] = shards[i].clone();
            present[i] = true;
          } else {
            new SplittableRandom(mask).nextBytes(work[i]); // garbage must be overwritten
          }
        }
        rs.reconstruct(work, present, 0, len);
        for (int i = 0; i < n; i++) {
          assertArrayEquals(
              shards[i],
              work[i],
              "seed="
                  + seed
                  + " round="
                  + round
                  + " subset="
                  + Integer.toBinaryString(mask)
                  + " shard="
                  + i);
        }
      }
    }
  }

  @Test
  void fewerThanKShardsAreRefused() {
    ReedSolomon rs = new ReedSolomon(4, 2);
    byte[][] shards = new byte[6][10];
    boolean[] present = {true, true, false, true, false, false};
    assertThrows(IllegalArgumentException.class, () -> rs.reconstruct(shards, present, 0, 10));
  }

  @Test
  void parametersAreValidated() {
    assertThrows(IllegalArgumentException.class, () -> new ReedSolomon(0, 1));
    assertThrows(IllegalArgumentException.class, () -> new ReedSolomon(200, 56));
    assertThrows(IllegalArgumentException.class, () -> new ReedSolomon(4, -1));
  }

  /** Every bitmask over n bits with exactly k set bits (all of them; n ≤ 14 here). */
  static List<Integer> subsets(int n, int k) {
    List<Integer> out = new ArrayList<>();
    for (int mask = 0; mask < (1 << n); mask++) {
      if (Integer.bitCount(mask) == k) {
        out.add(mask);
      }
    }
    return out;
  }
}
