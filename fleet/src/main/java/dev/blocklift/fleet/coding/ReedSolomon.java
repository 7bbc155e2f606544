package dev.blocklift.fleet.coding;

import java.util.Arrays;

/**
 * A systematic Reed-Solomon erasure code over GF(2^8): {@code k} data shards and {@code m} parity
 * shards, any {@code k} of the {@code n = k + m} shards give back the data.
 *
 * <p>The encoding matrix is the identity (data shards are stored as they are) on top of an {@code m
 * × k} Cauchy matrix {@code C[i][j] = 1 / (x_i + y_j)} with {@code x_i = k + i}, {@code y_j = j}.
 * Every square submatrix of a Cauchy matrix is invertible, so every {@code k × k} choice of rows of
 * the stacked matrix is too: that is the "any k of n" property. The Cauchy part is then scaled so
 * that its first row and first column are all ones (scaling rows and columns of a Cauchy matrix
 * keeps every square submatrix invertible); with one parity shard the parity is therefore the plain
 * XOR of the data shards, which the inner loop does without table look-ups.
 *
 * <p>Stateless after construction and thread-safe.
 */
public final class ReedSolomon {
  private final int k;
  private final int m;
  private final GfMatrix encoding;

  public ReedSolomon(int dataShards, int parityShards) {
    if (dataShards < 1 || parityShards < 0 || dataShards + parityShards > 255) {
      throw new IllegalArgumentException(
          "Reed-Solomon needs k >= 1, m >= 0 and k + m <= 255, got k="
              + dataShards
              + " m="
              + parityShards);
    }
    this.k = dataShards;
    this.m = parityShards;
    this.encoding = buildEncodingMatrix(k, m);
  }

  private static GfMatrix buildEncodingMatrix(int k, int m) {
    GfMatrix e = new GfMatrix(k + m, k);
    for (int i = 0; i < k; i++) {
      e.set(i, i, 1);
    }
    int[][] c = new int[m][k];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < k; j++) {
        c[i][j] = GaloisField.inverse((k + i) ^ j);
      }
    }
    if (m > 0) {
      for (int j = 0; j < k; j++) {
        int s = GaloisField.inverse(c[0][j]);
        for (int i = 0; i < m; i++) {
          c[i][j] = GaloisField.multiply(c[i][j], s);
        }
      }
      for (int i = 1; i < m; i++) {
        int s = GaloisField.inverse(c[i][0]);
        for (int j = 0; j < k; j++) {
          c[i][j] = GaloisField.multiply(c[i][j], s);
        }
      }
    }
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < k; j++) {
        e.set(k + i, j, c[i][j]);
      }
    }
    return e;
  }

  public int dataShards() {
    return k;
  }

  public int parityShards() {
    return m;
  }

  public int totalShards() {
    return k + m;
  }

  /** Row {@code index} of the encoding matrix (for documentation and tests). */
  public int[] encodingRow(int index) {
    return encoding.row(index);
  }

  /**
   * Computes the parity shards from the data shards. {@code shards} has {@code k + m} arrays of at
   * least {@code offset + length} bytes each; the first {@code k} are read, the rest overwritten.
   */
  public void encodeParity(byte[][] shards, int offset, int length) {
    checkShards(shards, offset, length);
    for (int p = 0; p < m; p++) {
      combine(encoding.row(k + p), shards, 0, shards[k + p], offset, length);
    }
  }

  /**
   * Rebuilds every missing shard in place from any {@code k} present ones. Missing shards must be
   * allocated arrays ({@code present[i] == false}); their contents are overwritten.
   *
   * @throws IllegalArgumentException if fewer than {@code k} shards are present
   */
  public void reconstruct(byte[][] shards, boolean[] present, int offset, int length) {
    reconstruct(shards, present, offset, length, false);
  }

  /** Like {@link #reconstruct} but rebuilds only the missing data shards, not the parity. */
  public void reconstructData(byte[][] shards, boolean[] present, int offset, int length) {
    reconstruct(shards, present, offset, length, true);
  }

  private void reconstruct(
      byte[][] shards, boolean[] present, int offset, int length, boolean dataOnly) {
    checkShards(shards, offset, length);
    if (present.length != k + m) {
      throw new IllegalArgumentException(
          "present must have " + (k + m) + " entries, got " + present.length);
    }
    int[] use = new int[k];
    int found = 0;
    for (int i = 0; i < k + m && found < k; i++) {
      if (present[i]) {
        use[found++] = i;
      }
    }
    if (found < k) {
      throw new IllegalArgumentException(
          "need " + k + " shards to reconstruct, only " + found + " present");
    }
    boolean dataMissing = false;
    for (int i = 0; i < k; i++) {
      dataMissing |= !present[i];
    }
    if (dataMissing) {
      GfMatrix decode = encoding.selectRows(use).invert();
      byte[][] inputs = new byte[k][];
      for (int t = 0; t < k; t++) {
        inputs[t] = shards[use[t]];
      }
      for (int d = 0; d < k; d++) {
        if (!present[d]) {
          combine(decode.row(d), inputs, 0, shards[d], offset, length);
        }
      }
    }
    for (int p = 0; p < m && !dataOnly; p++) {
      if (!present[k + p]) {
        combine(encoding.row(k + p), shards, 0, shards[k + p], offset, length);
      }
    }
  }

  /** {@code out = Σ coef[t] · inputs[first + t]} over the byte range. */
  private void combine(int[] coef, byte[][] inputs, int first, byte[] out, int offset, int length) {
    Arrays.fill(out, offset, offset + length, (byte) 0);
    for (int t = 0; t < coef.length; t++) {
      int c = coef[t];
      byte[] in = inputs[first + t];
      if (c == 0) {
        continue;
      }
      if (c == 1) {
        for (int i = offset, end = offset + length; i < end; i++) {
          out[i] ^= in[i];
        }
      } else {
        byte[] row = GaloisField.productRow(c);
        for (int i = offset, end = offset + length; i < end; i++) {
          out[i] ^= row[in[i] & 0xff];
        }
      }
    }
  }

  private void checkShards(byte[][] shards, int offset, int length) {
    if (shards.length != k + m) {
      throw new IllegalArgumentException("expected " + (k + m) + " shards, got " + shards.length);
    }
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException("bad range offset=" + offset + " length=" + length);
    }
    for (int i = 0; i < shards.length; i++) {
      if (shards[i] == null || shards[i].length < offset + length) {
        throw new IllegalArgumentException(
            "shard " + i + " is missing or shorter than " + (offset + length) + " bytes");
      }
    }
  }
}
