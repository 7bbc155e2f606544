package dev.blocklift.convert;

/**
 * Progress of a conversion, for progress bars. {@link #chunkDone} is called from many threads at
 * once and must be quick and thread-safe; {@link #NONE} ignores everything.
 */
public interface ConvertListener {
  ConvertListener NONE = new ConvertListener() {};

  /**
   * A new phase starts: {@code loading}, {@code flattening}, {@code uploading}, {@code publishing}.
   */
  default void phase(String phase) {}

  /** Flattening planned {@code totalBytes} of file data. */
  default void flattenPlanned(long totalBytes) {}

  /** {@code bytes} more bytes of file data were flattened. */
  default void flattened(long bytes) {}

  /** The device is ready to be chunked: {@code chunks} chunks of {@code deviceBytes}. */
  default void chunking(int chunks, long deviceBytes) {}

  /** One chunk is finished (a hole, or stored, or found present). */
  default void chunkDone(boolean hole) {}

  /**
   * A data chunk of {@code plaintextBytes} was encrypted into {@code storedBytes} (compressed, if
   * it compressed, plus the frame, nonce and tag), whether or not it then needs uploading. Called
   * from many threads at once.
   */
  default void chunkEncrypted(int plaintextBytes, int storedBytes) {}
}
