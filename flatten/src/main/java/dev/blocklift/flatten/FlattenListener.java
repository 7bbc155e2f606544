package dev.blocklift.flatten;

/** Progress of a flatten, for progress bars and logs. Calls come from the flattening thread. */
public interface FlattenListener {
  FlattenListener NONE = new FlattenListener() {};

  /**
   * The layout is planned: {@code dataBytes} of file data are the tree's. In a one-pass flatten
   * (from an image source) this comes after the data was written, once the tree is known.
   */
  default void planned(long dataBytes, int layers, long deviceBytes) {}

  /** Writing the file data of layer {@code layerIndex} begins (layers with files only). */
  default void layerStarted(int layerIndex) {}

  /**
   * {@code bytes} more bytes of file data were written (every file entry's, including those an
   * upper layer deletes).
   */
  default void dataWritten(long bytes) {}

  /** Data is done; metadata is being written. */
  default void writingMetadata() {}
}
