package dev.blocklift.image;

import java.io.IOException;
import java.io.InputStream;

/**
 * Receives the bytes of every regular-file tar entry with data while {@link ImageLoader} reads the
 * layers, in layer order and tar order within a layer, whether or not the file survives into the
 * final tree. This is the seam that lets a writer place file data in the same pass that builds the
 * tree, so each layer is decompressed once.
 */
@FunctionalInterface
public interface FileDataSink {
  /** A sink that reads nothing (the tar reader skips the unread bytes). */
  FileDataSink NONE = (layer, entry, size, data) -> {};

  /**
   * One entry's bytes: {@code data} is bounded to the entry, valid only during the call, closing it
   * is harmless, and what is left unread is skipped. The layer's digests are verified after its
   * last entry, so a sink must not treat data as trusted before {@link ImageLoader#load} returns.
   *
   * @param layerIndex 0 = bottom layer
   * @param entryIndex the entry's ordinal among the layer's tar headers (as in {@code ContentRef})
   * @param size the entry's size from its header
   */
  void file(int layerIndex, long entryIndex, long size, InputStream data) throws IOException;
}
