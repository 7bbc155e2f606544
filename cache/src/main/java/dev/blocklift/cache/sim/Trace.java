package dev.blocklift.cache.sim;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * A chunk-access trace: the i-th access reads chunk {@code keys[i]} of {@code weights[i]} bytes.
 * Keys are dense ids (a trace file's chunk names are mapped to ids on reading).
 */
public final class Trace {
  private final String name;
  private final long[] keys;
  private final int[] weights;
  private final long uniqueKeys;
  private final long uniqueBytes;
  private final long totalBytes;

  public Trace(String name, long[] keys, int[] weights) {
    if (keys.length != weights.length) {
      throw new IllegalArgumentException(
          "trace " + name + ": " + keys.length + " keys but " + weights.length + " weights");
    }
    this.name = name;
    this.keys = keys;
    this.weights = weights;
    Set<Long> seen = new HashSet<>();
    long unique = 0;
    long total = 0;
    for (int i = 0; i < keys.length; i++) {
      total += weights[i];
      if (seen.add(keys[i])) {
        unique += weights[i];
      }
    }
    this.uniqueKeys = seen.size();
    this.uniqueBytes = unique;
    this.totalBytes = total;
  }

  public String name() {
    return name;
  }

  public int length() {
    return keys.length;
  }

  public long key(int i) {
    return keys[i];
  }

  public int weight(int i) {
    return weights[i];
  }

  /** Distinct chunks accessed. */
  public long uniqueKeys() {
    return uniqueKeys;
  }

  /** Bytes of the distinct chunks (the footprint a cache would need for every hit). */
  public long uniqueBytes() {
    return uniqueBytes;
  }

  /** Bytes read over the whole trace. */
  public long totalBytes() {
    return totalBytes;
  }

  long[] keys() {
    return Arrays.copyOf(keys, keys.length);
  }
}
