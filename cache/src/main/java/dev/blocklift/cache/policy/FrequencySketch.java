package dev.blocklift.cache.policy;

/**
 * A count-min sketch of access frequencies with 4-bit saturating counters and periodic halving
 * ("aging"), as TinyLFU uses: a popularity estimate for any key, in fixed space, that forgets the
 * past so yesterday's hot set does not stay hot forever. Deterministic: hashes depend only on the
 * key's {@code hashCode()}.
 */
final class FrequencySketch {
  private static final int DEPTH = 4;
  private static final int MAX = 15;
  private static final long[] SEEDS = {
    0x9E3779B97F4A7C15L, 0xC2B2AE3D27D4EB4FL, 0x165667B19E3779F9L, 0xD6E8FEB86659FD93L
  };
  private final byte[][] rows;
  private final int mask;
  private final int sampleSize;
  private int additions;

  FrequencySketch(int expectedEntries) {
    int width = Integer.highestOneBit(Math.max(16, Math.min(1 << 26, expectedEntries)) - 1) << 1;
    rows = new byte[DEPTH][width];
    mask = width - 1;
    sampleSize = 10 * width;
  }

  int frequency(Object key) {
    long h = spread(key.hashCode());
    int min = MAX;
    for (int i = 0; i < DEPTH; i++) {
      min = Math.min(min, rows[i][index(h, i)]);
    }
    return min;
  }

  void increment(Object key) {
    long h = spread(key.hashCode());
    boolean added = false;
    for (int i = 0; i < DEPTH; i++) {
      int j = index(h, i);
      if (rows[i][j] < MAX) {
        rows[i][j]++;
        added = true;
      }
    }
    if (added && ++additions >= sampleSize) {
      halve();
    }
  }

  private void halve() {
    for (byte[] row : rows) {
      for (int j = 0; j < row.length; j++) {
        row[j] = (byte) (row[j] >>> 1);
      }
    }
    additions /= 2;
  }

  private int index(long h, int row) {
    long x = (h + SEEDS[row]) * SEEDS[(row + 1) & 3];
    return (int) (x ^ (x >>> 32)) & mask;
  }

  private static long spread(int hash) {
    long x = hash * 0x9E3779B97F4A7C15L;
    return x ^ (x >>> 29);
  }
}
