package dev.blocklift.image.tree;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;

/**
 * Which layer created each node of a tree, and in which order: every node (except the root) is born
 * once, when a layer's tar entry (or a missing parent of one) creates it, and keeps its birth when
 * later layers only change its attributes or add names for it (hard links). Directories and other
 * nodes are counted separately, so a writer can give each layer a fixed range of inode numbers with
 * that layer's directories first: the range depends only on the layer and the layers below.
 *
 * <p>Memory: one identity-map entry per node ever created, including nodes a later layer removed
 * (bounded by the number of tar entries read).
 */
public final class Births {
  private final IdentityHashMap<Node, Long> births = new IdentityHashMap<>();
  private final List<int[]> perLayer = new ArrayList<>(); // {directories, others}

  /** Records that {@code node} was created by layer {@code layer} (layers in ascending order). */
  public void born(Node node, int layer) {
    if (layer < 0 || layer < perLayer.size() - 1) {
      throw new IllegalArgumentException("births must be recorded layer by layer, got " + layer);
    }
    if (births.containsKey(node)) {
      return;
    }
    while (perLayer.size() <= layer) {
      perLayer.add(new int[2]);
    }
    int[] counts = perLayer.get(layer);
    int kind = node instanceof DirectoryNode ? 0 : 1;
    births.put(node, ((long) layer << 32) | counts[kind]);
    counts[kind]++;
  }

  /** Whether the node's birth is known (not the root, not a node built outside a loader). */
  public boolean known(Node node) {
    return births.containsKey(node);
  }

  /** The layer that created the node. */
  public int layer(Node node) {
    return (int) (birth(node) >>> 32);
  }

  /** The node's ordinal among the nodes of its kind (directory or not) its layer created. */
  public int ordinal(Node node) {
    return (int) birth(node);
  }

  /** The number of layers with recorded births (at most the image's layer count). */
  public int layers() {
    return perLayer.size();
  }

  /** How many directories layer {@code layer} created. */
  public int directories(int layer) {
    return layer < perLayer.size() ? perLayer.get(layer)[0] : 0;
  }

  /** How many non-directory nodes layer {@code layer} created. */
  public int others(int layer) {
    return layer < perLayer.size() ? perLayer.get(layer)[1] : 0;
  }

  private long birth(Node node) {
    Long b = births.get(node);
    if (b == null) {
      throw new IllegalArgumentException("no recorded birth for this node");
    }
    return b;
  }
}
