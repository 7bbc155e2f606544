package dev.blocklift.image.tree;

/**
 * One inode of the flattened tree. A hard-link group is one node object reachable under several
 * names; the writer derives link counts by walking the tree.
 */
public sealed interface Node
    permits DirectoryNode, FileNode, SymlinkNode, DeviceNode, FifoNode, SocketNode {
  Attributes attributes();

  void setAttributes(Attributes attributes);
}
