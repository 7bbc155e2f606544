package dev.blocklift.image.tree;

/** A character or block device node. */
public final class DeviceNode implements Node {
  /** Which kind of device. */
  public enum Kind {
    CHARACTER,
    BLOCK
  }

  private Attributes attributes;
  private final Kind kind;
  private final int major;
  private final int minor;

  public DeviceNode(Attributes attributes, Kind kind, int major, int minor) {
    if (major < 0 || minor < 0 || major > 0xFFF || minor > 0xFFFFF) {
      throw new IllegalArgumentException("device number out of range: " + major + ":" + minor);
    }
    this.attributes = attributes;
    this.kind = kind;
    this.major = major;
    this.minor = minor;
  }

  @Override
  public Attributes attributes() {
    return attributes;
  }

  @Override
  public void setAttributes(Attributes attributes) {
    this.attributes = attributes;
  }

  public Kind kind() {
    return kind;
  }

  public int major() {
    return major;
  }

  public int minor() {
    return minor;
  }
}
