package dev.blocklift.image.tree;

/**
 * A symbolic link; its target is kept verbatim, as bytes (it is never followed while flattening).
 */
public final class SymlinkNode implements Node {
  private Attributes attributes;
  private final RawPath target;

  public SymlinkNode(Attributes attributes, RawPath target) {
    if (target.isEmpty()) {
      throw new IllegalArgumentException("empty symlink target");
    }
    this.attributes = attributes;
    this.target = target;
  }

  /** A symlink to the UTF-8 encoding of {@code target} (hand-built trees, tests). */
  public SymlinkNode(Attributes attributes, String target) {
    this(attributes, RawPath.of(target));
  }

  @Override
  public Attributes attributes() {
    return attributes;
  }

  @Override
  public void setAttributes(Attributes attributes) {
    this.attributes = attributes;
  }

  public RawPath target() {
    return target;
  }
}
