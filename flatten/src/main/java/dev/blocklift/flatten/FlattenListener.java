package dev.blocklift.flatten;

/** Progress of a flatten, for progress bars and logs. Calls come from the flattening thread. */
public interface FlattenListener {
  FlattenListener NONE = new FlattenListener() {};

  /** The layout is planned: {@code dataBytes} of file data will be written from the layers. */
  default void planned(long dataBytes, int layers, long deviceBytes) {}

  /** Streaming of layer {@code layerIndex} begins. */
  default void layerStarted(int layerIndex) {}

  /** {@code bytes} more bytes of file data were written. */
  default void dataWritten(long bytes) {}

  /** Data is done; metadata is being written. */
  default void writingMetadata() {}
}
