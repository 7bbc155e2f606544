package dev.blocklift.flatten;

import dev.blocklift.image.tree.Births;
import dev.blocklift.image.tree.DirectoryNode;
import dev.blocklift.image.tree.Name;
import dev.blocklift.image.tree.Node;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Deterministic inode numbering and link counts. The root is inode 2. Two numberings:
 *
 * <ul>
 *   <li><b>By birth</b> (the default when the tree records {@link Births}): each layer owns a fixed
 *       range of inode numbers, as many as nodes it created, right after the ranges of the layers
 *       below; within it, first the directories it created, then its other nodes, each in creation
 *       (tar) order. A node keeps the number of its birth whatever upper layers do, so a base
 *       image's inode table stays byte-identical in an image built on it, except for directories
 *       that changed (clustered at the start of each layer's range, so in few blocks) and slots of
 *       nodes an upper layer removed (left zero and free).
 *   <li><b>Compact</b> (the fallback: no births, or dead slots would need a larger size class): 11,
 *       12, ... in a depth-first walk over sorted names where the children of one directory are
 *       numbered together.
 * </ul>
 *
 * A hard-link group (one node object under several names) gets one number. Per inode only a node
 * reference, a link count and the parent (for directories) are kept.
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
  private Numbering numbering;
  private long[] layerBase; // by birth: first inode of each layer's range, then the end

  private InodeCatalog() {}

  /** Assigns a node its inode number, or -1 if it cannot. */
  @FunctionalInterface
  private interface Numbering {
    long of(Node node);
  }

  /** Depth-first compact numbering. */
  static InodeCatalog compact(DirectoryNode root) {
    return walk(root, null);
  }

  /** Inodes per 512 KiB chunk of inode table (the tables of all groups are contiguous). */
  static final int INODES_PER_CHUNK =
      (int) (Geometry.CHUNK_BLOCKS * Geometry.BLOCK_SIZE / Geometry.INODE_SIZE);

  /**
   * Numbering by birth layer, or null if some node's birth is unknown or numbers overflow. With
   * {@code chunkAligned}, a layer's range starts on a fresh chunk of inode table when the ranges
   * since the last fresh start fill a chunk ({@link ChunkPacking}), so the chunk holding a large
   * layer's last inodes does not change when an upper layer adds inodes, and small layers share
   * chunks.
   */
  static InodeCatalog byBirth(DirectoryNode root, Births births, boolean chunkAligned) {
    int layers = births.layers();
    if (layers == 0) {
      return null;
    }
    long[] base = new long[layers + 1];
    base[0] = FIRST_INODE;
    ChunkPacking starts = new ChunkPacking(INODES_PER_CHUNK, 1, 1);
    for (int l = 0; l < layers; l++) {
      base[l + 1] = base[l] + births.directories(l) + births.others(l);
      if (chunkAligned && l + 1 < layers) {
        base[l + 1] = starts.next(base[l + 1]);
      }
    }
    if (base[layers] > Integer.MAX_VALUE / 2) {
      return null;
    }
    InodeCatalog c =
        walk(
            root,
            node -> {
              if (!births.known(node)) {
                return -1;
              }
              int l = births.layer(node);
              long ord = births.ordinal(node);
              return node instanceof DirectoryNode
                  ? base[l] + ord
                  : base[l] + births.directories(l) + ord;
            });
    if (c != null) {
      c.layerBase = base;
    }
    return c;
  }

  /** Whether numbers follow births ({@link #layerOf} is then meaningful). */
  boolean byBirth() {
    return layerBase != null;
  }

  /** The layer whose range holds inode {@code ino} (by birth), or 0 (compact, root, reserved). */
  int layerOf(int ino) {
    if (layerBase == null || ino < FIRST_INODE) {
      return 0;
    }
    int i = Arrays.binarySearch(layerBase, ino);
    return i >= 0 ? Math.min(i, layerBase.length - 2) : -i - 2;
  }

  private static InodeCatalog walk(DirectoryNode root, Numbering numbering) {
    InodeCatalog c = new InodeCatalog();
    c.numbering = numbering;
    c.put(ROOT, root, ROOT);
    c.links[ROOT] = 2;
    Deque<DirectoryNode> stack = new ArrayDeque<>();
    stack.push(root);
    while (!stack.isEmpty()) {
      DirectoryNode dir = stack.pop();
      int dirIno = c.numbers.get(dir);
      List<DirectoryNode> subdirs = new ArrayList<>();
      for (Map.Entry<Name, Node> e : dir.entries().entrySet()) {
        Node child = e.getValue();
        Integer known = c.numbers.get(child);
        if (child instanceof DirectoryNode sub) {
          if (known != null) {
            throw new IllegalArgumentException(
                "directory \"" + e.getKey() + "\" is reachable under two names");
          }
          int ino = c.next(child, dirIno);
          if (ino < 0) {
            return null;
          }
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
          if (ino < 0) {
            return null;
          }
          c.links[ino] = 1;
        }
      }
      for (int i = subdirs.size() - 1; i >= 0; i--) {
        stack.push(subdirs.get(i));
      }
    }
    c.numbering = null;
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
    int ino;
    if (numbering == null) {
      ino = ++maxInode;
    } else {
      long n = numbering.of(node);
      if (n < FIRST_INODE || n > Integer.MAX_VALUE || node(n) != null) {
        return -1;
      }
      ino = (int) n;
      maxInode = Math.max(maxInode, ino);
    }
    put(ino, node, parent);
    return ino;
  }

  private Node node(long ino) {
    return ino < nodes.length ? nodes[(int) ino] : null;
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
