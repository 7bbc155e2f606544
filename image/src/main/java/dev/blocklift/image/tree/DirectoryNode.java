package dev.blocklift.image.tree;

import java.util.Collections;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * A directory; entries are kept sorted by name (unsigned bytes) so every walk is in one
 * deterministic order.
 */
public final class DirectoryNode implements Node {
  private Attributes attributes;
  private final TreeMap<Name, Node> entries = new TreeMap<>();

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
  public NavigableMap<Name, Node> entries() {
    return Collections.unmodifiableNavigableMap(entries);
  }

  public Node get(Name name) {
    return entries.get(name);
  }

  /** The entry named by the UTF-8 encoding of {@code name} (hand-built trees, tests). */
  public Node get(String name) {
    return get(Name.of(name));
  }

  public void put(Name name, Node node) {
    entries.put(name, node);
  }

  /** Puts an entry named by the UTF-8 encoding of {@code name} (hand-built trees, tests). */
  public void put(String name, Node node) {
    put(Name.of(name), node);
  }

  public Node remove(Name name) {
    return entries.remove(name);
  }

  public void clear() {
    entries.clear();
  }
}
