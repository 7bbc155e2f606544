package dev.blocklift.flatten;

/**
 * Where each layer's part of a region starts (file data in blocks, inode numbers, directory
 * blocks): on a fresh 512 KiB chunk when the layers packed since the last fresh start fill at least
 * one chunk, otherwise right after the layer below.
 *
 * <p>Why: a layer that starts on a fresh chunk leaves every chunk below it byte-identical in any
 * image built on it, which is what dedup wants for a large base. But a chunk per layer makes a run
 * of small layers cost a chunk each (1000 one-file layers made a 1 GiB device). With this rule a
 * run of small layers shares chunks, and a fresh start wastes less than a chunk only after at least
 * a chunk of content: a region spans at most twice its content (plus one chunk). The rule depends
 * only on the layers below, so a layer's start is known when it starts streaming, and is the same
 * in a base image and in every image built on it.
 *
 * <p>Calling {@link #next} again for an empty layer changes nothing, so callers that skip layers
 * without content (the data writer sees only layers with files) agree with callers that do not.
 */
final class ChunkPacking {
  private final long unitsPerChunk;
  private final long origin;
  private long groupStart;

  /**
   * @param unitsPerChunk blocks or inodes per chunk
   * @param origin the unit at which chunks start (block 0, inode 1)
   * @param start where the region's first layer starts (on a chunk boundary)
   */
  ChunkPacking(long unitsPerChunk, long origin, long start) {
    this.unitsPerChunk = unitsPerChunk;
    this.origin = origin;
    this.groupStart = start;
  }

  /** Where the next layer starts, given where the layers below end. */
  long next(long cursor) {
    if (cursor - groupStart >= unitsPerChunk) {
      groupStart = align(cursor);
      return groupStart;
    }
    return cursor;
  }

  /** The first chunk boundary at or after {@code unit}. */
  long align(long unit) {
    return origin + (unit - origin + unitsPerChunk - 1) / unitsPerChunk * unitsPerChunk;
  }
}
