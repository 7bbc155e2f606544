package dev.blocklift.image;

import dev.blocklift.core.BlockliftException;

/**
 * An image needs more than a limit allows ({@link LoadLimits}, or the flattener's device size). The
 * message names the limit, its value and what exceeded it; the limit can be raised if the image is
 * genuine.
 */
public class LimitExceededException extends BlockliftException {
  private static final long serialVersionUID = 1L;

  private final String limit;

  /**
   * @param what what exceeded the limit, with its value (e.g. "tar entry #4194305")
   * @param limit the limit's name (e.g. "LoadLimits.maxEntries")
   * @param value the limit's value
   */
  public LimitExceededException(String what, String limit, long value) {
    super(what + " exceeds the limit " + limit + " = " + value);
    this.limit = limit;
  }

  /** The same failure with context (where it happened) before its message. */
  public LimitExceededException(String context, LimitExceededException e) {
    super(context + ": " + e.getMessage(), e);
    this.limit = e.limit;
  }

  /** The name of the limit, e.g. {@code LoadLimits.maxEntries}. */
  public String limit() {
    return limit;
  }
}
