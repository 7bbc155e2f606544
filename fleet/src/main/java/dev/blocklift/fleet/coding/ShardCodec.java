package dev.blocklift.fleet.coding;

import dev.blocklift.core.ChunkName;
import java.util.Arrays;

/**
 * Splits a chunk into {@code k} data + {@code m} parity {@link Shard}s and joins any {@code k} of
 * them back. The chunk is zero-padded to a multiple of {@code k}; the header keeps its real length.
 */
public final class ShardCodec {
  private final ReedSolomon rs;

  public ShardCodec(int k, int m) {
    this.rs = new ReedSolomon(k, m);
  }

  public int k() {
    return rs.dataShards();
  }

  public int m() {
    return rs.parityShards();
  }

  public int n() {
    return rs.totalShards();
  }

  public Shard[] encode(ChunkName name, byte[] chunk) {
    int k = k();
    int len = Shard.payloadLength(chunk.length, k);
    byte[][] work = new byte[n()][len];
    for (int i = 0; i < k; i++) {
      int from = i * len;
      int to = Math.min(chunk.length, from + len);
      if (from < to) {
        System.arraycopy(chunk, from, work[i], 0, to - from);
      }
    }
    rs.encodeParity(work, 0, len);
    Shard[] out = new Shard[n()];
    for (int i = 0; i < n(); i++) {
      out[i] = Shard.create(name, k, m(), i, chunk.length, work[i], 0);
    }
    return out;
  }

  /**
   * Rebuilds the chunk from verified shards; {@code shards[i]} is shard {@code i} or null. Only the
   * first {@code k} non-null shards are used.
   *
   * @throws IllegalArgumentException if fewer than {@code k} shards are given or they disagree on
   *     the coding parameters or chunk length
   */
  public byte[] decode(Shard[] shards) {
    int k = k();
    if (shards.length != n()) {
      throw new IllegalArgumentException("expected " + n() + " shard slots, got " + shards.length);
    }
    int chunkLength = -1;
    int count = 0;
    for (int i = 0; i < shards.length; i++) {
      Shard s = shards[i];
      if (s == null || count == k) {
        continue;
      }
      if (s.k() != k || s.m() != m() || s.index() != i) {
        throw new IllegalArgumentException(
            "shard in slot "
                + i
                + " has k="
                + s.k()
                + " m="
                + s.m()
                + " index="
                + s.index()
                + ", expected k="
                + k
                + " m="
                + m());
      }
      if (chunkLength >= 0 && s.chunkLength() != chunkLength) {
        throw new IllegalArgumentException(
            "shards disagree on the chunk length: " + chunkLength + " vs " + s.chunkLength());
      }
      chunkLength = s.chunkLength();
      count++;
    }
    if (count < k) {
      throw new IllegalArgumentException("need " + k + " shards, got " + count);
    }
    int len = Shard.payloadLength(chunkLength, k);
    byte[] out = new byte[len * k];
    boolean allData = true;
    for (int i = 0; i < k; i++) {
      allData &= shards[i] != null;
    }
    if (allData) {
      for (int i = 0; i < k; i++) {
        shards[i].copyPayload(out, i * len);
      }
      return chunkLength == out.length ? out : Arrays.copyOf(out, chunkLength);
    }
    byte[][] work = new byte[n()][];
    boolean[] present = new boolean[n()];
    count = 0;
    for (int i = 0; i < n(); i++) {
      work[i] = new byte[len];
      if (shards[i] != null && count < k) {
        shards[i].copyPayload(work[i], 0);
        present[i] = true;
        count++;
      }
    }
    rs.reconstructData(work, present, 0, len);
    for (int i = 0; i < k; i++) {
      System.arraycopy(work[i], 0, out, i * len, len);
    }
    return chunkLength == out.length ? out : Arrays.copyOf(out, chunkLength);
  }
}
