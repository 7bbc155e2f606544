package dev.blocklift.chunk;

import dev.blocklift.core.BlockliftException;

/** A chunk was read under a salt root that has expired: its chunks may already be collected. */
public class ExpiredSaltRootException extends BlockliftException {
  private static final long serialVersionUID = 1L;
  private final transient SaltRoot root;

  public ExpiredSaltRootException(SaltRoot root, String what) {
    super(
        "ALARM: "
            + what
            + " uses salt root "
            + root.id()
            + ", which expired at "
            + root.expired().orElseThrow()
            + "; its chunks may have been garbage-collected: re-convert the image");
    this.root = root;
  }

  public SaltRoot root() {
    return root;
  }
}
