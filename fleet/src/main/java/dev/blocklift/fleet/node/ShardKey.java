package dev.blocklift.fleet.node;

import dev.blocklift.core.ChunkName;

/** What a cache node stores a shard under: the chunk's name and the shard's index. */
public record ShardKey(ChunkName chunk, int index) {
  public ShardKey {
    if (chunk == null) {
      throw new IllegalArgumentException("shard key needs a chunk name");
    }
    if (index < 0 || index > 254) {
      throw new IllegalArgumentException("shard index must be 0..254, got " + index);
    }
  }

  /** A file name for the disk tier. */
  String fileName() {
    return chunk.hex() + "." + index;
  }

  @Override
  public String toString() {
    return chunk.hex() + "/" + index;
  }
}
