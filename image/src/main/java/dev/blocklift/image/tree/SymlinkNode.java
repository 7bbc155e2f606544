package dev.blocklift.image.tree;

/** A symbolic link; its target is kept verbatim (it is never followed while flattening). */
public final class SymlinkNode implements Node {
  private Attributes attributes;
  private final String target;

  public SymlinkNode(Attributes attributes, String target) {
    if (target.isEmpty()) {
      throw new IllegalArgumentException("empty symlink target");
    }
    this.attributes = attributes;
    this.target = target;
  }

  @Override
  public Attributes attributes() {
    return attributes;
  }

  @Override
  public void setAttributes(Attributes attributes) {
    this.attributes = attributes;
  }

  public String target() {
    return target;
  }
}
