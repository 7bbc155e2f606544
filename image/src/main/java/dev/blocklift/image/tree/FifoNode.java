package dev.blocklift.image.tree;

/** A named pipe. */
public final class FifoNode implements Node {
  private Attributes attributes;

  public FifoNode(Attributes attributes) {
    this.attributes = attributes;
  }

  @Override
  public Attributes attributes() {
    return attributes;
  }

  @Override
  public void setAttributes(Attributes attributes) {
    this.attributes = attributes;
  }
}
