package dev.blocklift.core;

/**
 * An error a user can act on: its message is printed as is by the CLI (no stack trace unless {@code
 * --debug}), so it must name the bad value and, where possible, what to do.
 */
public class BlockliftException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public BlockliftException(String message) {
    super(message);
  }

  public BlockliftException(String message, Throwable cause) {
    super(message, cause);
  }
}
