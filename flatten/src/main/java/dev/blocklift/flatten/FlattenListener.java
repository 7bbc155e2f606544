package dev.blocklift.flatten;

import java.nio.file.Path;

/** Progress of a flatten, for progress bars and logs. Calls come from the flattening thread. */
public interface FlattenListener {
  FlattenListener NONE = new FlattenListener() {};

  // --- Streaming hook (for convert, which chunks the device while it is being written) ---

  /**
   * The output is open at {@code partial} (a temporary sibling, renamed to the output when done;
   * the same file): empty, before any data is written. Another thread may read it with positional
   * reads; nobody but the flattener may write, truncate or rename it.
   */
  default void outputOpened(Path partial) {}

  /**
   * Bytes {@code [from, to)} of the output are final: nothing the flatten writes later changes them
   * (later file data, copies and metadata all go at or above {@code to}). Called after each file's
   * data, with the same {@code from} and a {@code to} that never decreases; not called when {@link
   * FlattenOptions#scrubDeleted()} is set (scrubbing rewrites data below {@code to}).
   */
  default void dataFinal(long from, long to) {}

  // --- Progress ---

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
