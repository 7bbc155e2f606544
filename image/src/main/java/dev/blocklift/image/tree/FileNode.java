package dev.blocklift.image.tree;

import java.util.Optional;

/**
 * A regular file. Its bytes are not held in memory: {@link #content()} says which layer entry they
 * come from, and the flattener streams them from the layer on its second pass.
 */
public final class FileNode implements Node {
  private Attributes attributes;
  private final long size;
  private final ContentRef content;

  /**
   * @param content where the bytes are; empty only for a zero-length file
   */
  public FileNode(Attributes attributes, long size, Optional<ContentRef> content) {
    if (size < 0) {
      throw new IllegalArgumentException("negative file size " + size);
    }
    if (size > 0 && content.isEmpty()) {
      throw new IllegalArgumentException("a non-empty file needs a content reference");
    }
    this.attributes = attributes;
    this.size = size;
    this.content = content.orElse(null);
  }

  @Override
  public Attributes attributes() {
    return attributes;
  }

  @Override
  public void setAttributes(Attributes attributes) {
    this.attributes = attributes;
  }

  public long size() {
    return size;
  }

  public Optional<ContentRef> content() {
    return Optional.ofNullable(content);
  }
}
