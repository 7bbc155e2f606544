package dev.blocklift.convert;

import dev.blocklift.chunk.ChunkKey;
import dev.blocklift.chunk.ManifestBuilder;
import dev.blocklift.core.ChunkName;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What each chunk of a device turned out to be (a hole, or a name and key), recorded from many
 * threads in any order while the device is still being written (so before its size, and with it the
 * {@link ManifestBuilder}, exists). A chunk read early and found changed later is recorded again
 * with a higher generation, which wins whatever order the two finish in. Memory: about 50 bytes per
 * chunk plus the shared names and keys, like the manifest itself.
 */
final class ChunkTable {
  private ChunkName[] names = new ChunkName[64];
  private ChunkKey[] keys = new ChunkKey[64];
  private byte[] generation = new byte[64]; // 0 = not recorded, else 1 + the chunk's generation
  private int[] storedLength = new int[64];
  private int[] length = new int[64];

  synchronized void hole(int index, int generation) {
    if (claim(index, generation)) {
      names[index] = null;
      keys[index] = null;
      storedLength[index] = 0;
      length[index] = 0;
    }
  }

  synchronized void chunk(
      int index, int generation, ChunkName name, ChunkKey key, int plaintextLength, int stored) {
    if (claim(index, generation)) {
      names[index] = name;
      keys[index] = key;
      storedLength[index] = stored;
      length[index] = plaintextLength;
    }
  }

  private boolean claim(int index, int gen) {
    if (index >= generation.length) {
      int n = Math.max(index + 1, generation.length * 2);
      names = Arrays.copyOf(names, n);
      keys = Arrays.copyOf(keys, n);
      generation = Arrays.copyOf(generation, n);
      storedLength = Arrays.copyOf(storedLength, n);
      length = Arrays.copyOf(length, n);
    }
    if (generation[index] > gen) {
      return false; // a later reading of this chunk is already recorded
    }
    generation[index] = (byte) (gen + 1);
    return true;
  }

  /** Points every chunk named {@code from} at {@code to} (same key: same plaintext). */
  synchronized void rename(ChunkName from, ChunkName to, int stored) {
    for (int i = 0; i < names.length; i++) {
      if (from.equals(names[i])) {
        names[i] = to;
        storedLength[i] = stored;
      }
    }
  }

  synchronized ChunkKey key(int index) {
    return keys[index];
  }

  /** Each distinct name with the first index it is at, in index order. */
  synchronized Map<ChunkName, Integer> distinct(int count) {
    Map<ChunkName, Integer> m = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      if (names[i] != null) {
        m.putIfAbsent(names[i], i);
      }
    }
    return m;
  }

  /** Counts over the first {@code count} chunks. */
  record Totals(
      int holes, int dataChunks, int distinct, long dataBytes, long storedBytes, int compressed) {}

  synchronized Totals totals(int count) {
    int holes = 0;
    int data = 0;
    long dataBytes = 0;
    long stored = 0;
    int compressed = 0;
    for (int i = 0; i < count && i < names.length; i++) {
      if (generation[i] == 0) {
        continue;
      }
      if (names[i] == null) {
        holes++;
        continue;
      }
      data++;
      dataBytes += length[i];
      stored += storedLength[i];
      if (storedLength[i] != dev.blocklift.chunk.ConvergentEncryption.rawStoredLength(length[i])) {
        compressed++;
      }
    }
    return new Totals(holes, data, distinct(count).size(), dataBytes, stored, compressed);
  }

  /** Records chunks {@code 0..count-1} into {@code builder} (an unrecorded one stays missing). */
  synchronized void copyTo(ManifestBuilder builder, int count) {
    for (int i = 0; i < count && i < names.length; i++) {
      if (generation[i] == 0) {
        continue;
      }
      if (names[i] == null) {
        builder.hole(i);
      } else {
        builder.chunk(i, names[i], keys[i]);
      }
    }
  }
}
