package dev.blocklift.image.tree;

/**
 * Where a regular file's bytes live: the {@code entryIndex}-th tar entry (0-based, counting every
 * header the reader yields) of layer {@code layerIndex} (0 = bottom layer).
 */
public record ContentRef(int layerIndex, long entryIndex) implements Comparable<ContentRef> {
  public ContentRef {
    if (layerIndex < 0 || entryIndex < 0) {
      throw new IllegalArgumentException("bad content reference " + layerIndex + "/" + entryIndex);
    }
  }

  @Override
  public int compareTo(ContentRef o) {
    int c = Integer.compare(layerIndex, o.layerIndex);
    return c != 0 ? c : Long.compare(entryIndex, o.entryIndex);
  }
}
