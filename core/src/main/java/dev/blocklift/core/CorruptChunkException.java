package dev.blocklift.core;

/**
 * A chunk whose bytes are not what its name promises (or whose decryption fails authentication).
 * Corrupt is its own exception: callers treat it differently from "missing" (an {@code Optional})
 * and from an I/O failure.
 */
public class CorruptChunkException extends CorruptDataException {
  private static final long serialVersionUID = 1L;
  private final transient ChunkName name;

  public CorruptChunkException(ChunkName name, String where, String reason) {
    super("corrupt chunk " + name + " from " + where + ": " + reason);
    this.name = name;
  }

  public CorruptChunkException(ChunkName name, String where, String reason, Throwable cause) {
    super("corrupt chunk " + name + " from " + where + ": " + reason, cause);
    this.name = name;
  }

  public ChunkName chunkName() {
    return name;
  }
}
