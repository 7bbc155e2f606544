package dev.blocklift.flatten;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;

/**
 * Encodes a node's extended attributes the way ext4 stores them: in the inode's spare 96 bytes when
 * they all fit, otherwise all in one xattr block. Names are split into a namespace index and a
 * suffix ({@code security.capability} is index 6, suffix {@code capability}); entries are sorted by
 * (index, suffix length, suffix), which the kernel's lookup in a block relies on. POSIX ACLs arrive
 * in the VFS format (version 2) and are stored in ext4's own compact format (version 1).
 */
final class Xattrs {
  static final int MAGIC = 0xEA020000;

  /** Bytes after the 128-byte base inode and the 32-byte extra part: magic + entries + values. */
  static final int IN_INODE_SPACE = Geometry.INODE_SIZE - 128 - 32;

  static final int BLOCK_HEADER = 32;

  private Xattrs() {}

  /** One attribute split for ext4. */
  @SuppressWarnings("ArrayRecordComponent") // internal, never compared or hashed
  record Entry(int index, byte[] suffix, byte[] value) {
    int entrySize() {
      return (16 + suffix.length + 3) & ~3;
    }

    int valueSize() {
      return (value.length + 3) & ~3;
    }
  }

  /** Result: either in-inode bytes (IN_INODE_SPACE long) or a block (4096 bytes, no checksum). */
  @SuppressWarnings("ArrayRecordComponent") // internal, never compared or hashed
  record Encoded(byte[] inInode, byte[] block) {}

  static final Encoded NONE = new Encoded(null, null);

  static Encoded encode(SortedMap<String, byte[]> xattrs) {
    if (xattrs.isEmpty()) {
      return NONE;
    }
    List<Entry> entries = new ArrayList<>();
    for (Map.Entry<String, byte[]> e : xattrs.entrySet()) {
      entries.add(split(e.getKey(), e.getValue()));
    }
    entries.sort(
        (a, b) -> {
          int c = Integer.compare(a.index, b.index);
          if (c == 0) {
            c = Integer.compare(a.suffix.length, b.suffix.length);
          }
          return c != 0 ? c : Arrays.compareUnsigned(a.suffix, b.suffix);
        });
    int entryBytes = 0;
    int valueBytes = 0;
    for (Entry e : entries) {
      entryBytes += e.entrySize();
      valueBytes += e.valueSize();
    }
    if (4 + entryBytes + 4 + valueBytes <= IN_INODE_SPACE) {
      byte[] out = new byte[IN_INODE_SPACE];
      ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
      b.putInt(0, MAGIC);
      // value offsets are relative to the first entry (just after the magic)
      place(b, entries, 4, 4, IN_INODE_SPACE);
      return new Encoded(out, null);
    }
    if (BLOCK_HEADER + entryBytes + 4 + valueBytes > Geometry.BLOCK_SIZE) {
      throw new IllegalArgumentException(
          "extended attributes too large for one 4 KiB xattr block ("
              + (entryBytes + valueBytes)
              + " bytes; ext4 without ea_inode cannot store them)");
    }
    byte[] out = new byte[Geometry.BLOCK_SIZE];
    ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(0, MAGIC);
    b.putInt(4, 1); // h_refcount, patched when shared
    b.putInt(8, 1); // h_blocks
    int blockHash = place(b, entries, BLOCK_HEADER, 0, Geometry.BLOCK_SIZE);
    b.putInt(12, blockHash);
    return new Encoded(null, out);
  }

  /**
   * Writes entries from {@code first} and values downward from {@code end}; value offsets relative
   * to {@code base}. Returns the block hash over the entry hashes.
   */
  private static int place(ByteBuffer b, List<Entry> entries, int first, int base, int end) {
    int pos = first;
    int valueEnd = end;
    int blockHash = 0;
    for (Entry e : entries) {
      int valueOffset = 0;
      if (e.value.length > 0) {
        valueEnd -= e.valueSize();
        b.put(valueEnd, e.value);
        valueOffset = valueEnd - base;
      }
      int hash = entryHash(e);
      b.put(pos, (byte) e.suffix.length);
      b.put(pos + 1, (byte) e.index);
      b.putShort(pos + 2, (short) valueOffset);
      b.putInt(pos + 4, 0); // e_value_inum
      b.putInt(pos + 8, e.value.length);
      b.putInt(pos + 12, hash);
      b.put(pos + 16, e.suffix);
      pos += e.entrySize();
      blockHash = (blockHash << 16) ^ (blockHash >>> 16) ^ hash;
    }
    b.putInt(pos, 0); // end of entries
    return blockHash;
  }

  static int entryHash(Entry e) {
    int hash = 0;
    for (byte c : e.suffix) {
      hash = (hash << 5) ^ (hash >>> 27) ^ (c & 0xFF);
    }
    byte[] padded = Arrays.copyOf(e.value, e.valueSize());
    ByteBuffer v = ByteBuffer.wrap(padded).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < padded.length; i += 4) {
      hash = (hash << 16) ^ (hash >>> 16) ^ v.getInt(i);
    }
    return hash;
  }

  static Entry split(String name, byte[] value) {
    if (name.equals("system.posix_acl_access")) {
      return new Entry(2, new byte[0], aclToExt4(name, value));
    }
    if (name.equals("system.posix_acl_default")) {
      return new Entry(3, new byte[0], aclToExt4(name, value));
    }
    String[][] prefixes = {{"user.", "1"}, {"trusted.", "4"}, {"security.", "6"}, {"system.", "7"}};
    for (String[] p : prefixes) {
      if (name.startsWith(p[0]) && name.length() > p[0].length()) {
        byte[] suffix = name.substring(p[0].length()).getBytes(StandardCharsets.UTF_8);
        if (suffix.length > 255) {
          throw new IllegalArgumentException("xattr name longer than 255 bytes: " + name);
        }
        return new Entry(Integer.parseInt(p[1]), suffix, value.clone());
      }
    }
    throw new IllegalArgumentException(
        "xattr \""
            + name
            + "\" is in no namespace ext4 stores (user., trusted., security., system.)");
  }

  /** VFS ACL (le32 version 2, then 8-byte entries) to ext4 ACL (le32 version 1, 4/8-byte). */
  static byte[] aclToExt4(String name, byte[] vfs) {
    ByteBuffer in = ByteBuffer.wrap(vfs).order(ByteOrder.LITTLE_ENDIAN);
    if (vfs.length < 4 || (vfs.length - 4) % 8 != 0 || in.getInt(0) != 2) {
      throw new IllegalArgumentException("xattr " + name + " is not a version-2 POSIX ACL");
    }
    ByteBuffer out = ByteBuffer.allocate(vfs.length).order(ByteOrder.LITTLE_ENDIAN);
    out.putInt(1);
    for (int p = 4; p < vfs.length; p += 8) {
      int tag = in.getShort(p) & 0xFFFF;
      short perm = in.getShort(p + 2);
      switch (tag) {
        case 0x01, 0x04, 0x10, 0x20 -> out.putShort((short) tag).putShort(perm);
        case 0x02, 0x08 -> out.putShort((short) tag).putShort(perm).putInt(in.getInt(p + 4));
        default ->
            throw new IllegalArgumentException(
                "xattr " + name + " has an unknown ACL tag 0x" + Integer.toHexString(tag));
      }
    }
    return Arrays.copyOf(out.array(), out.position());
  }
}
