package dev.blocklift.flatten;

import dev.blocklift.image.tree.Attributes;
import dev.blocklift.image.tree.DeviceNode;
import dev.blocklift.image.tree.DirectoryNode;
import dev.blocklift.image.tree.FifoNode;
import dev.blocklift.image.tree.FileNode;
import dev.blocklift.image.tree.Node;
import dev.blocklift.image.tree.SocketNode;
import dev.blocklift.image.tree.SymlinkNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;

/**
 * Writes every metadata block of the filesystem once the data is in place: inode tables and the
 * variable region (directories, extent leaves, slow symlinks, xattr blocks) in one ascending walk
 * over inode numbers, then bitmaps, group descriptors and the superblock, each with its
 * metadata_csum checksum (crc32c with one constant seed stored in the superblock, see {@link
 * #CSUM_SEED}).
 *
 * <p>Features written: ext_attr, dir_index, sparse_super2 (with no backup superblocks, so nothing
 * sits in the data region), filetype, extent, flex_bg, sparse_super, large_file, huge_file,
 * dir_nlink, extra_isize, metadata_csum, metadata_csum_seed. No journal, no resize inode, no
 * lost+found.
 */
final class Ext4Writer {
  static final int COMPAT = 0x8 | 0x20 | 0x200; // ext_attr, dir_index, sparse_super2
  // filetype, extents, flex_bg, metadata_csum_seed
  static final int INCOMPAT = 0x2 | 0x40 | 0x200 | 0x2000;

  /**
   * The metadata_csum seed, stored in the superblock (metadata_csum_seed) instead of derived from
   * the UUID: one constant for every image, so a block that is the same in a base image and an
   * image built on it (an inode-table block, a directory block) also has the same checksum, and
   * dedups.
   */
  static final int CSUM_SEED =
      Crc32c.update(
          ~0,
          java.util.Arrays.copyOf(
              dev.blocklift.core.Sha256.hash(
                  "blocklift ext4 checksum seed".getBytes(StandardCharsets.US_ASCII)),
              16));

  static final int RO_COMPAT = 0x1 | 0x2 | 0x8 | 0x20 | 0x40 | 0x400;
  static final int EXTENTS_FL = 0x80000;
  static final int EXTRA_ISIZE = 32;

  private final FileChannel channel;
  private final Geometry g;
  private final InodeCatalog catalog;
  private final DataLayout data;
  private final MetadataPlan plan;
  private final byte[] uuid;
  private final byte[] hashSeed;
  private final long created;
  private final int csumSeed;

  private final int[] usedDirs;
  private final int[] usedInodes;
  private final int[] lastUsed; // highest used local inode index + 1, per group
  private final BitSet inodeBits = new BitSet(); // used inodes, bit = inode - 1

  Ext4Writer(
      FileChannel channel,
      Geometry g,
      InodeCatalog catalog,
      DataLayout data,
      MetadataPlan plan,
      byte[] uuid,
      byte[] hashSeed,
      long created) {
    this.channel = channel;
    this.g = g;
    this.catalog = catalog;
    this.data = data;
    this.plan = plan;
    this.uuid = uuid.clone();
    this.hashSeed = hashSeed.clone();
    this.created = created;
    this.csumSeed = CSUM_SEED;
    this.usedDirs = new int[g.groups()];
    this.usedInodes = new int[g.groups()];
    this.lastUsed = new int[g.groups()];
  }

  void write() throws IOException {
    writeInodesAndVariableRegion();
    BitSet used = usedBlocks();
    byte[] gdt = new byte[g.gdtBlocks() * Geometry.BLOCK_SIZE];
    long[] free = writeBitmaps(used, gdt);
    writeGdt(gdt);
    writeSuperblock(free[0], free[1]);
  }

  // ---------------------------------------------------------------- inodes and variable region

  private void writeInodesAndVariableRegion() throws IOException {
    int max = catalog.maxInode();
    byte[] table = new byte[Geometry.BLOCK_SIZE];
    long tableBlock = -1;
    try (BlockOut tables = new BlockOut(channel);
        BlockOut meta = new BlockOut(channel)) {
      for (int ino = 1; ino <= max; ino++) {
        int group = (ino - 1) / g.inodesPerGroup();
        int local = (ino - 1) % g.inodesPerGroup();
        long block = g.inodeTable(group) + local / Geometry.INODES_PER_BLOCK;
        if (block != tableBlock) {
          if (tableBlock >= 0) {
            tables.write(tableBlock, table);
            table = new byte[Geometry.BLOCK_SIZE];
          }
          tableBlock = block;
        }
        Node node = catalog.node(ino);
        if (node == null && ino >= InodeCatalog.FIRST_INODE) {
          continue; // a dead birth slot: zero and free
        }
        usedInodes[group]++;
        lastUsed[group] = local + 1;
        inodeBits.set(ino - 1);
        if (node == null) {
          continue; // reserved inode, left zero
        }
        if (node instanceof DirectoryNode) {
          usedDirs[group]++;
        }
        byte[] inode = encodeInode(ino, node, meta);
        System.arraycopy(
            inode,
            0,
            table,
            (local % Geometry.INODES_PER_BLOCK) * Geometry.INODE_SIZE,
            Geometry.INODE_SIZE);
      }
      tables.write(tableBlock, table);
    }
  }

  private byte[] encodeInode(int ino, Node node, BlockOut meta) throws IOException {
    byte[] raw = new byte[Geometry.INODE_SIZE];
    ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    int seed = Crc32c.updateInt(Crc32c.updateInt(csumSeed, ino), 0);
    Attributes a = node.attributes();
    int perms = a.permissions();
    int type;
    long size = 0;
    int flags = 0;
    long blocks = 0;
    switch (node) {
      case FileNode f -> {
        type = 0x8000;
        size = f.size();
        long n = DataLayout.blocksOf(size);
        blocks = n + writeExtents(b, ino, seed, data.start(ino), n, meta);
        flags = EXTENTS_FL;
      }
      case DirectoryNode d -> {
        type = 0x4000;
        int[][] runs = plan.dirRuns(ino);
        long[] starts = new long[runs.length];
        int[] firstIndex = new int[runs.length];
        int n = 0;
        for (int k = 0; k < runs.length; k++) {
          starts[k] = MetadataPlan.at(runs[k][0], g);
          firstIndex[k] = n;
          n += runs[k][1];
        }
        size = (long) n * Geometry.BLOCK_SIZE;
        Directories.encode(
            Directories.segments(d, ino, catalog),
            ino,
            catalog.parent(ino),
            catalog::inodeOf,
            (index, block) -> {
              int c = Crc32c.update(seed, block, 0, Directories.USABLE);
              ByteBuffer.wrap(block)
                  .order(ByteOrder.LITTLE_ENDIAN)
                  .putInt(Directories.USABLE + 8, c);
              int k = runs.length - 1;
              while (firstIndex[k] > index) {
                k--;
              }
              meta.write(starts[k] + index - firstIndex[k], block);
            });
        Extents.writeRuns(b, 0x28, starts, runs);
        blocks = n;
        flags = EXTENTS_FL;
      }
      case SymlinkNode s -> {
        type = 0xA000;
        perms = 0777; // what symlink(2) creates; Linux has no lchmod
        byte[] target = s.target().bytes();
        size = target.length;
        if (plan.metaCount(ino) > 0) {
          long start = MetadataPlan.at(plan.metaRel(ino), g);
          byte[] block = new byte[Geometry.BLOCK_SIZE];
          System.arraycopy(target, 0, block, 0, target.length);
          meta.write(start, block);
          blocks = 1L + writeExtents(b, ino, seed, start, 1, meta);
          flags = EXTENTS_FL;
        } else {
          b.put(0x28, target);
        }
      }
      case DeviceNode d -> {
        type = d.kind() == DeviceNode.Kind.CHARACTER ? 0x2000 : 0x6000;
        if (d.major() < 256 && d.minor() < 256) {
          b.putInt(0x28, (d.major() << 8) | d.minor());
        } else {
          b.putInt(0x2C, (d.minor() & 0xFF) | (d.major() << 8) | ((d.minor() & ~0xFF) << 12));
        }
      }
      case FifoNode f -> type = 0x1000;
      case SocketNode s -> type = 0xC000;
    }
    if (plan.hasXattrBlock(ino)) {
      long xblock = MetadataPlan.at(plan.xattrRel(ino), g);
      b.putInt(0x68, (int) xblock);
      b.putShort(0x76, (short) (xblock >>> 32));
      blocks += 1;
      byte[] owned = plan.xattrBlockOwnedBy(ino);
      if (owned != null) {
        int c = Crc32c.updateLong(csumSeed, xblock);
        c = Crc32c.update(c, owned); // the checksum field (0x10) is still zero here
        ByteBuffer.wrap(owned).order(ByteOrder.LITTLE_ENDIAN).putInt(0x10, c);
        meta.write(xblock, owned);
      }
    } else {
      Xattrs.Encoded x = Xattrs.encode(a.xattrs());
      if (x.inInode() != null) {
        b.put(128 + EXTRA_ISIZE, x.inInode());
      }
    }
    b.putShort(0x00, (short) (type | perms));
    b.putShort(0x02, (short) a.uid());
    b.putInt(0x04, (int) size);
    putTime(b, 0x08, 0x8C, a); // atime
    putTime(b, 0x0C, 0x84, a); // ctime
    putTime(b, 0x10, 0x88, a); // mtime
    putTime(b, 0x90, 0x94, a); // crtime
    b.putShort(0x18, (short) a.gid());
    b.putShort(0x1A, (short) catalog.links(ino));
    long sectors = blocks * (Geometry.BLOCK_SIZE / 512);
    b.putInt(0x1C, (int) sectors);
    b.putShort(0x74, (short) (sectors >>> 32));
    b.putInt(0x20, flags);
    b.putInt(0x6C, (int) (size >>> 32));
    b.putShort(0x78, (short) (a.uid() >>> 16));
    b.putShort(0x7A, (short) (a.gid() >>> 16));
    b.putShort(0x80, (short) EXTRA_ISIZE);
    int c = Crc32c.update(seed, raw);
    b.putShort(0x7C, (short) c);
    b.putShort(0x82, (short) (c >>> 16));
    return raw;
  }

  private static void putTime(ByteBuffer b, int at, int extraAt, Attributes a) {
    long s = a.mtimeSeconds();
    int lo = (int) s;
    int epoch = (int) ((s - lo) >> 32) & 3;
    b.putInt(at, lo);
    b.putInt(extraAt, epoch | (a.mtimeNanos() << 2));
  }

  /** Writes the extent root (and leaves); returns the number of leaf blocks. */
  private int writeExtents(ByteBuffer inode, int ino, int seed, long start, long n, BlockOut meta)
      throws IOException {
    int leaves = Extents.leafBlocks(n);
    long firstLeaf = leaves > 0 ? MetadataPlan.at(plan.leafRel(ino), g) : 0;
    Extents.writeRoot(inode, 0x28, start, n, firstLeaf);
    for (int k = 0; k < leaves; k++) {
      byte[] leaf = Extents.leaf(k, start, n);
      int c = Crc32c.update(seed, leaf, 0, Extents.tailOffset());
      ByteBuffer.wrap(leaf).order(ByteOrder.LITTLE_ENDIAN).putInt(Extents.tailOffset(), c);
      meta.write(firstLeaf + k, leaf);
    }
    return leaves;
  }

  // ---------------------------------------------------------------- bitmaps, GDT, superblock

  private BitSet usedBlocks() {
    BitSet used = new BitSet((int) g.totalBlocks());
    used.set(0, 1 + g.gdtBlocks());
    for (int ino = InodeCatalog.FIRST_INODE; ino <= catalog.maxInode(); ino++) {
      if (catalog.node(ino) instanceof FileNode f && f.size() > 0) {
        long start = data.start(ino);
        used.set((int) start, (int) (start + DataLayout.blocksOf(f.size())));
      }
    }
    for (int ino = InodeCatalog.ROOT; ino <= catalog.maxInode(); ino++) {
      if (catalog.node(ino) instanceof DirectoryNode) {
        for (int[] run : plan.dirRuns(ino)) {
          long start = MetadataPlan.at(run[0], g);
          used.set((int) start, (int) (start + run[1]));
        }
      }
    }
    used.set((int) (g.fixedStart() - plan.highBlocks()), (int) g.fixedStart());
    used.set((int) g.fixedStart(), (int) g.totalBlocks());
    return used;
  }

  /** Writes both bitmaps of every group, fills the descriptors; returns {free blocks, inodes}. */
  private long[] writeBitmaps(BitSet used, byte[] gdt) throws IOException {
    ByteBuffer d = ByteBuffer.wrap(gdt).order(ByteOrder.LITTLE_ENDIAN);
    long freeBlocks = 0;
    long freeInodes = 0;
    try (BlockOut out = new BlockOut(channel)) {
      for (int group = 0; group < g.groups(); group++) {
        long first = (long) group * Geometry.BLOCKS_PER_GROUP;
        int inGroup = (int) g.blocksInGroup(group);
        byte[] bitmap = new byte[Geometry.BLOCK_SIZE];
        int usedCount = 0;
        for (int i = used.nextSetBit((int) first);
            i >= 0 && i < first + inGroup;
            i = used.nextSetBit(i + 1)) {
          int bit = (int) (i - first);
          bitmap[bit >>> 3] |= (byte) (1 << (bit & 7));
          usedCount++;
        }
        for (int bit = inGroup; bit < Geometry.BLOCKS_PER_GROUP; bit++) {
          bitmap[bit >>> 3] |= (byte) (1 << (bit & 7));
        }
        int blockCsum = Crc32c.update(csumSeed, bitmap, 0, Geometry.BLOCKS_PER_GROUP / 8);
        out.write(g.blockBitmap(group), bitmap);

        byte[] ibitmap = new byte[Geometry.BLOCK_SIZE];
        long firstInode = (long) group * g.inodesPerGroup();
        for (int bit = 0; bit < lastUsed[group]; bit++) {
          if (inodeBits.get((int) (firstInode + bit))) {
            ibitmap[bit >>> 3] |= (byte) (1 << (bit & 7));
          }
        }
        for (int bit = g.inodesPerGroup(); bit < Geometry.BLOCK_SIZE * 8; bit++) {
          ibitmap[bit >>> 3] |= (byte) (1 << (bit & 7));
        }
        int inodeCsum = Crc32c.update(csumSeed, ibitmap, 0, g.inodesPerGroup() / 8);
        out.write(g.inodeBitmap(group), ibitmap);

        int groupFreeBlocks = inGroup - usedCount;
        int groupFreeInodes = g.inodesPerGroup() - usedInodes[group];
        freeBlocks += groupFreeBlocks;
        freeInodes += groupFreeInodes;
        int at = group * Geometry.DESC_SIZE;
        d.putInt(at, (int) g.blockBitmap(group));
        d.putInt(at + 0x04, (int) g.inodeBitmap(group));
        d.putInt(at + 0x08, (int) g.inodeTable(group));
        d.putShort(at + 0x0C, (short) groupFreeBlocks);
        d.putShort(at + 0x0E, (short) groupFreeInodes);
        d.putShort(at + 0x10, (short) usedDirs[group]);
        d.putShort(at + 0x12, (short) 0x4); // EXT4_BG_INODE_ZEROED
        d.putShort(at + 0x18, (short) blockCsum);
        d.putShort(at + 0x1A, (short) inodeCsum);
        d.putShort(at + 0x1C, (short) (g.inodesPerGroup() - lastUsed[group]));
        int c = Crc32c.updateInt(csumSeed, group);
        c = Crc32c.update(c, gdt, at, Geometry.DESC_SIZE); // checksum field still zero
        d.putShort(at + 0x1E, (short) c);
      }
    }
    return new long[] {freeBlocks, freeInodes};
  }

  private void writeGdt(byte[] gdt) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(gdt);
    long pos = Geometry.BLOCK_SIZE;
    while (buf.hasRemaining()) {
      pos += channel.write(buf, pos);
    }
  }

  private void writeSuperblock(long freeBlocks, long freeInodes) throws IOException {
    byte[] sb = new byte[1024];
    ByteBuffer s = ByteBuffer.wrap(sb).order(ByteOrder.LITTLE_ENDIAN);
    int time = (int) Math.max(0, Math.min(0xFFFF_FFFFL, created));
    s.putInt(0x00, (int) g.inodeCount());
    s.putInt(0x04, (int) g.totalBlocks());
    s.putInt(0x08, 0);
    s.putInt(0x0C, (int) freeBlocks);
    s.putInt(0x10, (int) freeInodes);
    s.putInt(0x14, 0);
    s.putInt(0x18, 2);
    s.putInt(0x1C, 2);
    s.putInt(0x20, Geometry.BLOCKS_PER_GROUP);
    s.putInt(0x24, Geometry.BLOCKS_PER_GROUP);
    s.putInt(0x28, g.inodesPerGroup());
    s.putInt(0x2C, 0); // never mounted
    s.putInt(0x30, time);
    s.putShort(0x34, (short) 0);
    s.putShort(0x36, (short) -1);
    s.putShort(0x38, (short) 0xEF53);
    s.putShort(0x3A, (short) 1); // clean
    s.putShort(0x3C, (short) 1); // errors: continue
    s.putInt(0x40, time); // last check
    s.putInt(0x4C, 1); // dynamic revision
    s.putInt(0x54, InodeCatalog.FIRST_INODE);
    s.putShort(0x58, (short) Geometry.INODE_SIZE);
    s.putInt(0x5C, COMPAT);
    s.putInt(0x60, INCOMPAT);
    s.putInt(0x64, RO_COMPAT);
    s.put(0x68, uuid);
    s.put(0x78, "blocklift".getBytes(StandardCharsets.US_ASCII));
    s.put(0xEC, hashSeed);
    s.put(0xFC, (byte) 1); // half_md4
    s.putInt(0x100, 0x4 | 0x8); // user_xattr, acl
    s.putInt(0x108, time); // mkfs time
    s.putShort(0x15C, (short) EXTRA_ISIZE);
    s.putShort(0x15E, (short) EXTRA_ISIZE);
    s.putInt(0x160, 0x1); // signed directory hash
    s.put(0x174, (byte) 4); // 16 groups per flex group
    s.put(0x175, (byte) 1); // crc32c
    s.putInt(0x270, CSUM_SEED); // s_checksum_seed (metadata_csum_seed)
    // 0x24C s_backup_bgs = {0, 0}: sparse_super2 with no backup superblock
    s.putInt(0x3FC, Crc32c.update(~0, sb, 0, 0x3FC));
    ByteBuffer buf = ByteBuffer.wrap(sb);
    long pos = 1024;
    while (buf.hasRemaining()) {
      pos += channel.write(buf, pos);
    }
  }
}
