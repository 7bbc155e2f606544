package dev.blocklift.image.tree;

import java.io.IOException;
import java.io.InputStream;

/**
 * Streams file bytes back out of the layers, for the flattener's second pass. Layers are read in
 * order, each at most once per call, with bounded memory.
 */
public interface LayerContent {
  /** Receives the data of one regular-file entry; {@code data} is valid only during the call. */
  @FunctionalInterface
  interface FileVisitor {
    void visit(long entryIndex, long size, InputStream data) throws IOException;
  }

  /**
   * Calls {@code visitor} for every regular-file entry with data in layer {@code layerIndex}, in
   * tar order, after re-verifying the layer's digest as it streams (a mismatch throws at the end).
   */
  void forEachFile(int layerIndex, FileVisitor visitor) throws IOException;
}
