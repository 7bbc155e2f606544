package dev.blocklift.flatten;

import dev.blocklift.image.tree.DirectoryNode;
import dev.blocklift.image.tree.Node;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Deterministic inode numbering and link counts. The root is inode 2; the tree's other nodes get
 * 11, 12, ... in a depth-first walk over sorted names where the children of one directory are
 * numbered together (so a directory's entries have neighbouring inodes). A hard-link group (one
 * node object under several names) gets one number, at its first name in that order.
 *
 * <p>Per inode only a node reference, a link count and the parent (for directories) are kept.
 */
final class InodeCatalog {
  static final int ROOT = 2;
  static final int FIRST_INODE = 11;

  /** ext4's link-count limit for a non-directory; directories beyond it get 1 (dir_nlink). */
  static final int MAX_LINKS = 65000;

  private final IdentityHashMap<Node, Integer> numbers = new IdentityHashMap<>();
  private Node[] nodes = new Node[64];
  private int[] links = new int[64];
  private int[] parents = new int[64];
  private int maxInode = FIRST_INODE - 1;

  private InodeCatalog() {}

  static InodeCatalog number(DirectoryNode root) {
    InodeCatalog c = new InodeCatalog();
    c.put(ROOT, root, ROOT);
    c.links[ROOT] = 2;
    Deque<DirectoryNode> stack = new ArrayDeque<>();
    stack.push(root);
    while (!stack.isEmpty()) {
      DirectoryNode dir = stack.pop();
      int dirIno = c.numbers.get(dir);
      List<DirectoryNode> subdirs = new ArrayList<>();
      for (Map.Entry<String, Node> e : dir.entries().entrySet()) {
        Node child = e.getValue();
        Integer known = c.numbers.get(child);
        if (child instanceof DirectoryNode sub) {
          if (known != null) {
            throw new IllegalArgumentException(
                "directory \"" + e.getKey() + "\" is reachable under two names");
          }
          int ino = c.next(child, dirIno);
          c.links[ino] = 2;
          c.links[dirIno]++;
          subdirs.add(sub);
        } else if (known != null) {
          if (c.links[known] >= MAX_LINKS) {
            throw new IllegalArgumentException(
                "more than " + MAX_LINKS + " hard links to one file (at \"" + e.getKey() + "\")");
          }
          c.links[known]++;
        } else {
          int ino = c.next(child, 0);
          c.links[ino] = 1;
        }
      }
      for (int i = subdirs.size() - 1; i >= 0; i--) {
        stack.push(subdirs.get(i));
      }
    }
    for (int ino = FIRST_INODE; ino <= c.maxInode; ino++) {
      if (c.nodes[ino] instanceof DirectoryNode && c.links[ino] > MAX_LINKS) {
        c.links[ino] = 1;
      }
    }
    if (c.links[ROOT] > MAX_LINKS) {
      c.links[ROOT] = 1;
    }
    return c;
  }

  private int next(Node node, int parent) {
    int ino = ++maxInode;
    put(ino, node, parent);
    return ino;
  }

  private void put(int ino, Node node, int parent) {
    if (ino >= nodes.length) {
      int n = Math.max(ino + 1, nodes.length * 2);
      nodes = Arrays.copyOf(nodes, n);
      links = Arrays.copyOf(links, n);
      parents = Arrays.copyOf(parents, n);
    }
    nodes[ino] = node;
    parents[ino] = parent;
    numbers.put(node, ino);
  }

  /** The highest inode number in use (10 for an image with only a root). */
  int maxInode() {
    return maxInode;
  }

  /** The node of inode {@code ino}, or null for a reserved inode other than the root. */
  Node node(int ino) {
    return ino < nodes.length ? nodes[ino] : null;
  }

  int links(int ino) {
    return links[ino];
  }

  /** The parent directory's inode of a directory (the root is its own parent). */
  int parent(int ino) {
    return parents[ino];
  }

  int inodeOf(Node node) {
    Integer n = numbers.get(node);
    if (n == null) {
      throw new IllegalStateException("node not in the catalog");
    }
    return n;
  }
}
