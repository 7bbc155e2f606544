package dev.blocklift.image.tree;

/** A unix socket node (rare in layers, but tar can carry it). */
public final class SocketNode implements Node {
  private Attributes attributes;

  public SocketNode(Attributes attributes) {
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
