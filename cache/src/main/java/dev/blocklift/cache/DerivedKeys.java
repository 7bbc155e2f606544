package dev.blocklift.cache;

import dev.blocklift.core.ChunkName;
import dev.blocklift.core.Hex;
import dev.blocklift.core.Sha256;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Keys for things stored under a chunk that are not the chunk itself (the cache fleet's
 * erasure-coded shards): a {@link ChunkName}-shaped 256-bit id derived from the chunk name, a
 * purpose and an index, so the same {@link CacheTier}s can hold them. Such a tier needs its own
 * {@link ChunkVerifier}, since the bytes do not hash to the derived key.
 */
public final class DerivedKeys {
  private DerivedKeys() {}

  /** SHA-256(purpose ‖ 0x00 ‖ chunk name bytes ‖ index as 4 bytes big-endian), as hex. */
  public static ChunkName derive(ChunkName chunk, String purpose, int index) {
    MessageDigest md = Sha256.newDigest();
    md.update(purpose.getBytes(StandardCharsets.UTF_8));
    md.update((byte) 0);
    md.update(chunk.bytes());
    md.update(
        new byte[] {
          (byte) (index >>> 24), (byte) (index >>> 16), (byte) (index >>> 8), (byte) index
        });
    return ChunkName.of(Hex.encode(md.digest()));
  }
}
