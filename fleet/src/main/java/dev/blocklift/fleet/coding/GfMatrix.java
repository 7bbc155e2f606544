package dev.blocklift.fleet.coding;

import java.util.Arrays;

/** A small dense matrix over GF(2^8), just what encoding and decoding need (k ≤ 255). */
final class GfMatrix {
  private final int rows;
  private final int cols;
  private final int[][] m;

  GfMatrix(int rows, int cols) {
    this.rows = rows;
    this.cols = cols;
    this.m = new int[rows][cols];
  }

  static GfMatrix identity(int n) {
    GfMatrix r = new GfMatrix(n, n);
    for (int i = 0; i < n; i++) {
      r.m[i][i] = 1;
    }
    return r;
  }

  int rows() {
    return rows;
  }

  int cols() {
    return cols;
  }

  int get(int r, int c) {
    return m[r][c];
  }

  void set(int r, int c, int v) {
    m[r][c] = v & 0xff;
  }

  int[] row(int r) {
    return m[r].clone();
  }

  /** The rows with the given indexes, in that order. */
  GfMatrix selectRows(int[] indexes) {
    GfMatrix r = new GfMatrix(indexes.length, cols);
    for (int i = 0; i < indexes.length; i++) {
      r.m[i] = m[indexes[i]].clone();
    }
    return r;
  }

  /**
   * The inverse by Gauss-Jordan elimination.
   *
   * @throws ArithmeticException if the matrix is singular
   */
  GfMatrix invert() {
    if (rows != cols) {
      throw new ArithmeticException("only square matrices invert, got " + rows + "x" + cols);
    }
    int n = rows;
    int[][] a = new int[n][];
    for (int i = 0; i < n; i++) {
      a[i] = Arrays.copyOf(m[i], 2 * n);
      a[i][n + i] = 1;
    }
    for (int col = 0; col < n; col++) {
      int pivot = col;
      while (pivot < n && a[pivot][col] == 0) {
        pivot++;
      }
      if (pivot == n) {
        throw new ArithmeticException("singular matrix");
      }
      int[] t = a[pivot];
      a[pivot] = a[col];
      a[col] = t;
      int inv = GaloisField.inverse(a[col][col]);
      for (int j = 0; j < 2 * n; j++) {
        a[col][j] = GaloisField.multiply(a[col][j], inv);
      }
      for (int r = 0; r < n; r++) {
        int f = a[r][col];
        if (r != col && f != 0) {
          for (int j = 0; j < 2 * n; j++) {
            a[r][j] ^= GaloisField.multiply(f, a[col][j]);
          }
        }
      }
    }
    GfMatrix inv = new GfMatrix(n, n);
    for (int i = 0; i < n; i++) {
      inv.m[i] = Arrays.copyOfRange(a[i], n, 2 * n);
    }
    return inv;
  }

  GfMatrix times(GfMatrix o) {
    if (cols != o.rows) {
      throw new ArithmeticException("shape mismatch " + cols + " vs " + o.rows);
    }
    GfMatrix r = new GfMatrix(rows, o.cols);
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < o.cols; j++) {
        int s = 0;
        for (int x = 0; x < cols; x++) {
          s ^= GaloisField.multiply(m[i][x], o.m[x][j]);
        }
        r.m[i][j] = s;
      }
    }
    return r;
  }
}
