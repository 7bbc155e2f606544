package dev.blocklift.image.tree;

import java.util.List;

/**
 * Every regular file with data that one layer's tar carries, in the layer's own (tar) order,
 * whether or not it survives into the final tree. The flattener places a layer's data from this
 * list alone, so a lower layer's data never moves when an upper layer changes; files that did not
 * survive leave a hole.
 */
public record LayerFiles(int layerIndex, List<Entry> files) {
  /** One regular-file tar entry with data. */
  public record Entry(long entryIndex, long size) {}

  public LayerFiles {
    files = List.copyOf(files);
  }
}
