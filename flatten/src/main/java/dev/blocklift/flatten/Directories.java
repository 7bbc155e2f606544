package dev.blocklift.flatten;

import dev.blocklift.image.tree.DeviceNode;
import dev.blocklift.image.tree.DirectoryNode;
import dev.blocklift.image.tree.FifoNode;
import dev.blocklift.image.tree.FileNode;
import dev.blocklift.image.tree.Name;
import dev.blocklift.image.tree.Node;
import dev.blocklift.image.tree.SocketNode;
import dev.blocklift.image.tree.SymlinkNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * Linear (non-htree) ext4 directories, packed into 4 KiB blocks; each block ends with the 12-byte
 * checksum tail of metadata_csum, and the last entry of a block stretches to that tail. Sizing and
 * encoding use the same packing loop, so the blocks planned are exactly the blocks written.
 *
 * <p>Entry order. With birth-numbered inodes ({@link InodeCatalog#byBirth}) a directory is cut into
 * <em>segments</em>, one per layer that added entries to it, each starting on a fresh block: "."
 * and ".." and the entries of the directory's own layer first, then each later layer's entries, all
 * in inode (birth) order. An upper layer that adds files to a base directory then only appends a
 * segment; the base's blocks of that directory stay byte-identical (they change only when the upper
 * layer deletes or replaces one of their entries). The writer places each segment in its layer's
 * part of the metadata region (see {@link MetadataPlan}), so a directory is at most {@value
 * Extents#IN_INODE} runs: segments beyond the fourth are merged into the fourth. Without births:
 * one segment in name order (unsigned bytes). Names are written as the bytes they are.
 */
final class Directories {
  static final int TAIL = 12;
  static final int USABLE = Geometry.BLOCK_SIZE - TAIL;

  private Directories() {}

  static int recordLength(int nameBytes) {
    return (8 + nameBytes + 3) & ~3;
  }

  /** Entries that start on a fresh block; {@code layer} says where the writer places them. */
  record Segment(int layer, List<Map.Entry<Name, Node>> entries) {}

  /** A directory's segments in on-disk order (the first also holds "." and ".."). */
  static List<Segment> segments(DirectoryNode dir, int self, InodeCatalog catalog) {
    if (!catalog.byBirth()) {
      return List.of(new Segment(0, new ArrayList<>(dir.entries().entrySet())));
    }
    int own = catalog.layerOf(self);
    List<Map.Entry<Name, Node>> all = new ArrayList<>(dir.entries().entrySet());
    all.sort(
        Comparator.<Map.Entry<Name, Node>>comparingInt(e -> catalog.inodeOf(e.getValue()))
            .thenComparing(Map.Entry::getKey));
    List<Segment> out = new ArrayList<>();
    List<Map.Entry<Name, Node>> current = new ArrayList<>();
    int layer = own;
    for (Map.Entry<Name, Node> e : all) {
      int l = Math.max(own, catalog.layerOf(catalog.inodeOf(e.getValue())));
      if (l != layer) {
        out.add(new Segment(layer, current));
        current = new ArrayList<>();
        layer = l;
      }
      current.add(e);
    }
    out.add(new Segment(layer, current));
    if (out.size() > Extents.IN_INODE) {
      List<Map.Entry<Name, Node>> merged = new ArrayList<>();
      for (Segment sg : out.subList(Extents.IN_INODE - 1, out.size())) {
        merged.addAll(sg.entries());
      }
      List<Segment> kept = new ArrayList<>(out.subList(0, Extents.IN_INODE - 1));
      kept.add(new Segment(out.getLast().layer(), merged));
      out = kept;
    }
    return out;
  }

  /** How many blocks a segment needs ({@code first}: it also holds "." and ".."). */
  static int blockCount(Segment segment, boolean first) {
    int blocks = 1;
    int offset = first ? 24 : 0;
    for (Map.Entry<Name, Node> e : segment.entries()) {
      int len = recordLength(e.getKey().length());
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

  /** Encodes the segments' blocks in order, block indexes counting across segments. */
  static void encode(
      List<Segment> segments, int self, int parent, ToIntFunction<Node> inodes, BlockSink sink)
      throws java.io.IOException {
    int index = 0;
    for (int s = 0; s < segments.size(); s++) {
      byte[] block = new byte[Geometry.BLOCK_SIZE];
      ByteBuffer b = ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN);
      int offset = 0;
      int last = -1;
      if (s == 0) {
        put(b, 0, self, 12, new byte[] {'.'}, 2);
        put(b, 12, parent, 12, new byte[] {'.', '.'}, 2);
        last = 12;
        offset = 24;
      }
      for (Map.Entry<Name, Node> e : segments.get(s).entries()) {
        byte[] name = e.getKey().bytes();
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
      sink.accept(index++, block);
    }
  }

  private static void put(ByteBuffer b, int at, int inode, int recLen, byte[] name, int type) {
    b.putInt(at, inode);
    b.putShort(at + 4, (short) recLen);
    b.put(at + 6, (byte) name.length);
    b.put(at + 7, (byte) type);
    b.put(at + 8, name);
  }

  /**
   * Stretches the last entry to the tail (or, for an empty block, writes one unused entry spanning
   * it) and writes the tail's fixed fields.
   */
  private static void finish(ByteBuffer b, int lastEntry) {
    int last = Math.max(0, lastEntry);
    if (lastEntry < 0) {
      b.putInt(0, 0);
    }
    b.putShort(last + 4, (short) (USABLE - last));
    b.putInt(USABLE, 0);
    b.putShort(USABLE + 4, (short) TAIL);
    b.put(USABLE + 6, (byte) 0);
    b.put(USABLE + 7, (byte) 0xDE);
  }
}
