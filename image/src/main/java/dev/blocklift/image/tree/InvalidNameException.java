package dev.blocklift.image.tree;

/**
 * A name or path that the filesystem cannot hold (empty, {@code .} or {@code ..}, a {@code /} or
 * NUL byte in a name, a name over 255 bytes, a path over PATH_MAX). The message shows the bad value
 * (bytes that are not UTF-8 as {@code \xNN}).
 */
public final class InvalidNameException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public InvalidNameException(String message) {
    super(message);
  }
}
