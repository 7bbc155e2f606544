package dev.blocklift.image;

/**
 * Progress of {@link ImageLoader#load}: one layer after the other, bottom first. Callbacks run on
 * the loading thread and must be quick; {@link #NONE} ignores everything.
 */
public interface LoadListener {
  /** A listener that ignores every event. */
  LoadListener NONE = new LoadListener() {};

  /** Layer {@code layerIndex} (0 = bottom) of {@code layerCount} starts streaming. */
  default void layerStarted(int layerIndex, int layerCount, Descriptor layer) {}

  /** {@code compressedBytes} more raw (still compressed) bytes of the layer were read. */
  default void bytesRead(int layerIndex, long compressedBytes) {}

  /** The layer was applied and verified: its tar had {@code entries} headers. */
  default void layerFinished(int layerIndex, long entries, long uncompressedBytes) {}

  /** Something was skipped by a documented rule (e.g. a whiteout of a missing file). */
  default void warning(String message) {}
}
