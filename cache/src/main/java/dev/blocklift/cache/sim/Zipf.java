package dev.blocklift.cache.sim;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Samples ranks 0..n-1 with probability proportional to 1/(rank+1)^exponent (inverse CDF). */
final class Zipf {
  private final double[] cdf;

  Zipf(int n, double exponent) {
    if (n < 1) {
      throw new IllegalArgumentException("zipf needs at least one item, got " + n);
    }
    cdf = new double[n];
    double sum = 0;
    for (int i = 0; i < n; i++) {
      sum += 1 / Math.pow(i + 1, exponent);
      cdf[i] = sum;
    }
    for (int i = 0; i < n; i++) {
      cdf[i] /= sum;
    }
  }

  int sample(SplittableRandom rnd) {
    int i = Arrays.binarySearch(cdf, rnd.nextDouble());
    int rank = i >= 0 ? i : -i - 1;
    return Math.min(rank, cdf.length - 1);
  }
}
