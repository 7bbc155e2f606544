package dev.blocklift.fleet.coding;

/**
 * Arithmetic in GF(2^8) with the primitive polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11d) and
 * generator 2, the field most Reed-Solomon storage codes use. Addition is XOR; multiplication and
 * division go through log/exp tables, and a full 256×256 product table serves the inner loops.
 */
public final class GaloisField {
  static final int POLYNOMIAL = 0x11d;
  private static final int[] EXP = new int[512];
  private static final int[] LOG = new int[256];
  private static final byte[][] MUL = new byte[256][256];

  static {
    int x = 1;
    for (int i = 0; i < 255; i++) {
      EXP[i] = x;
      LOG[x] = i;
      x <<= 1;
      if ((x & 0x100) != 0) {
        x ^= POLYNOMIAL;
      }
    }
    for (int i = 255; i < EXP.length; i++) {
      EXP[i] = EXP[i - 255];
    }
    for (int a = 0; a < 256; a++) {
      for (int b = 0; b < 256; b++) {
        MUL[a][b] = (byte) slowMultiply(a, b);
      }
    }
  }

  private GaloisField() {}

  private static int slowMultiply(int a, int b) {
    if (a == 0 || b == 0) {
      return 0;
    }
    return EXP[LOG[a] + LOG[b]];
  }

  public static int add(int a, int b) {
    return (a ^ b) & 0xff;
  }

  public static int multiply(int a, int b) {
    return MUL[a & 0xff][b & 0xff] & 0xff;
  }

  public static int inverse(int a) {
    if ((a & 0xff) == 0) {
      throw new ArithmeticException("0 has no inverse in GF(2^8)");
    }
    return EXP[255 - LOG[a & 0xff]];
  }

  public static int divide(int a, int b) {
    return multiply(a, inverse(b));
  }

  /** {@code a^n} for n ≥ 0. */
  public static int power(int a, int n) {
    int r = 1;
    for (int i = 0; i < n; i++) {
      r = multiply(r, a);
    }
    return r;
  }

  /** The row of the product table for {@code c}: {@code row[x] = c·x}. Do not modify it. */
  static byte[] productRow(int c) {
    return MUL[c & 0xff];
  }
}
