package dev.blocklift.core;

/** Data that failed verification: a digest mismatch, a bad checksum, an authentication tag. */
public class CorruptDataException extends BlockliftException {
  private static final long serialVersionUID = 1L;

  public CorruptDataException(String message) {
    super(message);
  }

  public CorruptDataException(String message, Throwable cause) {
    super(message, cause);
  }
}
