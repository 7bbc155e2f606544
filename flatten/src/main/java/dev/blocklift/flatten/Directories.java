package dev.blocklift.flatten;

import dev.blocklift.image.tree.DeviceNode;
import dev.blocklift.image.tree.DirectoryNode;
import dev.blocklift.image.tree.FifoNode;
import dev.blocklift.image.tree.FileNode;
import dev.blocklift.image.tree.Node;
import dev.blocklift.image.tree.SocketNode;
import dev.blocklift.image.tree.SymlinkNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * Linear (non-htree) ext4 directories: "." and ".." first, then the entries in the tree's sorted
 * order, packed into 4 KiB blocks; each block ends with the 12-byte checksum tail of metadata_csum,
 * and the last entry of a block stretches to that tail. Sizing and encoding use the same packing
 * loop, so the blocks planned are exactly the blocks written.
 */
final class Directories {
  static final int TAIL = 12;
  static final int USABLE = Geometry.BLOCK_SIZE - TAIL;

  private Directories() {}

  static int recordLength(int nameBytes) {
    return (8 + nameBytes + 3) & ~3;
  }

  /** How many blocks the directory needs. */
  static int blockCount(DirectoryNode dir) {
    int blocks = 1;
    int offset = 24; // "." and ".."
    for (String name : dir.entries().keySet()) {
      int len = recordLength(name.getBytes(StandardCharsets.UTF_8).length);
      if (offset + len > USABLE) {
        blocks++;
        offset = 0;
      }
      offset += len;
    }
    return blocks;
  }

  static int fileType(Node node) {
    return switch (node) {
      case FileNode f -> 1;
      case DirectoryNode d -> 2;
      case DeviceNode d -> d.kind() == DeviceNode.Kind.CHARACTER ? 3 : 4;
      case FifoNode f -> 5;
      case SocketNode s -> 6;
      case SymlinkNode s -> 7;
    };
  }

  /** Receives each finished directory block (4096 bytes, tail in place, checksum not yet set). */
  @FunctionalInterface
  interface BlockSink {
    void accept(int index, byte[] block) throws java.io.IOException;
  }

  static void encode(
      DirectoryNode dir, int self, int parent, ToIntFunction<Node> inodes, BlockSink sink)
      throws java.io.IOException {
    byte[] block = new byte[Geometry.BLOCK_SIZE];
    ByteBuffer b = ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN);
    int index = 0;
    put(b, 0, self, 12, new byte[] {'.'}, 2);
    put(b, 12, parent, 12, new byte[] {'.', '.'}, 2);
    int last = 12;
    int offset = 24;
    for (Map.Entry<String, Node> e : dir.entries().entrySet()) {
      byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
      int len = recordLength(name.length);
      if (offset + len > USABLE) {
        finish(b, last);
        sink.accept(index++, block);
        block = new byte[Geometry.BLOCK_SIZE];
        b = ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN);
        offset = 0;
      }
      put(b, offset, inodes.applyAsInt(e.getValue()), len, name, fileType(e.getValue()));
      last = offset;
      offset += len;
    }
    finish(b, last);
    sink.accept(index, block);
  }

  private static void put(ByteBuffer b, int at, int inode, int recLen, byte[] name, int type) {
    b.putInt(at, inode);
    b.putShort(at + 4, (short) recLen);
    b.put(at + 6, (byte) name.length);
    b.put(at + 7, (byte) type);
    b.put(at + 8, name);
  }

  /** Stretches the last entry to the tail and writes the tail's fixed fields. */
  private static void finish(ByteBuffer b, int last) {
    b.putShort(last + 4, (short) (USABLE - last));
    b.putInt(USABLE, 0);
    b.putShort(USABLE + 4, (short) TAIL);
    b.put(USABLE + 6, (byte) 0);
    b.put(USABLE + 7, (byte) 0xDE);
  }
}
