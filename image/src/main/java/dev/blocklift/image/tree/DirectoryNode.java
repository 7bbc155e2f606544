package dev.blocklift.image.tree;

import java.util.Collections;
import java.util.NavigableMap;
import java.util.TreeMap;

/** A directory; entries are kept sorted by name so every walk is in one deterministic order. */
public final class DirectoryNode implements Node {
  private Attributes attributes;
  private final TreeMap<String, Node> entries = new TreeMap<>();

  public DirectoryNode(Attributes attributes) {
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

  /** The entries by name (no "." or ".."), read-only. */
  public NavigableMap<String, Node> entries() {
    return Collections.unmodifiableNavigableMap(entries);
  }

  public Node get(String name) {
    return entries.get(name);
  }

  public void put(String name, Node node) {
    TreeNames.checkName(name);
    entries.put(name, node);
  }

  public Node remove(String name) {
    return entries.remove(name);
  }

  public void clear() {
    entries.clear();
  }
}
