package dev.blocklift.cache;

import dev.blocklift.core.ChunkName;
import java.util.SplittableRandom;

/** Test chunks: random "ciphertext" and its content name. */
public final class Chunks {
  private Chunks() {}

  public static byte[] random(SplittableRandom rnd, int size) {
    byte[] b = new byte[size];
    rnd.nextBytes(b);
    return b;
  }

  public static byte[] random(long seed, int size) {
    return random(new SplittableRandom(seed), size);
  }

  public static ChunkName name(byte[] ciphertext) {
    return ChunkName.ofCiphertext(ciphertext);
  }
}
