package dev.blocklift.fleet.bench;

import dev.blocklift.core.ChunkName;
import dev.blocklift.fleet.coding.Shard;
import dev.blocklift.fleet.coding.ShardCodec;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Reed-Solomon encode/decode throughput for 512 KiB chunks, in MB/s of chunk bytes. Decode is
 * measured twice: all data shards present (the fast path: concatenation) and one data shard lost
 * (the matrix path). Shard CRC32C framing is included, the chunk's SHA-256 is not.
 */
public final class ReedSolomonBenchmark {
  private ReedSolomonBenchmark() {}

  public static void main(String[] args) {
    for (int[] km : new int[][] {{4, 1}, {4, 2}, {6, 3}}) {
      Result r = run(km[0], km[1], 1500);
      System.out.println(r.format());
    }
  }

  /** One row of results. */
  public record Result(int k, int m, double encodeMBs, double decodeFastMBs, double decodeLostMBs) {
    public String format() {
      return String.format(
          Locale.ROOT,
          "| RS %d+%d, 512 KiB chunks | encode %.0f MB/s | decode (data intact) %.0f MB/s |"
              + " decode (1 data shard lost) %.0f MB/s |",
          k,
          m,
          encodeMBs,
          decodeFastMBs,
          decodeLostMBs);
    }
  }

  public static Result run(int k, int m, long millisEach) {
    byte[] chunk = new byte[512 * 1024];
    new SplittableRandom(1).nextBytes(chunk);
    ChunkName name = ChunkName.ofCiphertext(chunk);
    ShardCodec codec = new ShardCodec(k, m);
    Shard[] shards = codec.encode(name, chunk);
    double enc = measure(millisEach, chunk.length, () -> codec.encode(name, chunk));
    Shard[] intact = shards.clone();
    for (int i = k; i < shards.length; i++) {
      intact[i] = null;
    }
    double fast = measure(millisEach, chunk.length, () -> codec.decode(intact));
    Shard[] lost = shards.clone();
    lost[0] = null;
    double slow = m == 0 ? fast : measure(millisEach, chunk.length, () -> codec.decode(lost));
    return new Result(k, m, enc, fast, slow);
  }

  private static double measure(long millis, int bytes, Runnable op) {
    long warm = System.nanoTime() + millis * 1_000_000L / 3;
    while (System.nanoTime() < warm) {
      op.run();
    }
    long start = System.nanoTime();
    long end = start + millis * 1_000_000L;
    long ops = 0;
    while (System.nanoTime() < end) {
      op.run();
      ops++;
    }
    double secs = (System.nanoTime() - start) / 1e9;
    return ops * (double) bytes / secs / 1e6;
  }
}
