package dev.blocklift.flatten;

import dev.blocklift.core.Digest;
import dev.blocklift.image.tree.Attributes;
import dev.blocklift.image.tree.ContentRef;
import dev.blocklift.image.tree.DeviceNode;
import dev.blocklift.image.tree.DirectoryNode;
import dev.blocklift.image.tree.FifoNode;
import dev.blocklift.image.tree.FileNode;
import dev.blocklift.image.tree.FlattenedTree;
import dev.blocklift.image.tree.Node;
import dev.blocklift.image.tree.SocketNode;
import dev.blocklift.image.tree.SymlinkNode;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/** Trees built in code, with their layer contents, for the writer's tests. */
final class Fixtures {
  static final long T = 1_700_000_000L;

  /** A tree plus its contents. */
  record Image(FlattenedTree tree, FakeLayers content) {}

  private Fixtures() {}

  static Attributes attrs(int perms) {
    return Attributes.of(perms, 0, 0, T);
  }

  static Digest digest(String name) {
    return Digest.sha256(name.getBytes(StandardCharsets.UTF_8));
  }

  static DirectoryNode dir(DirectoryNode parent, String name) {
    DirectoryNode d = new DirectoryNode(attrs(0755));
    parent.put(name, d);
    return d;
  }

  static FileNode file(DirectoryNode parent, String name, long size, ContentRef ref) {
    FileNode f = new FileNode(attrs(0644), size, Optional.ofNullable(ref));
    parent.put(name, f);
    return f;
  }

  static FlattenedTree tree(String name, DirectoryNode root, FakeLayers layers) {
    return new FlattenedTree(digest(name), T, root, layers.layerFiles());
  }

  static Image empty() {
    FakeLayers l = new FakeLayers();
    l.addLayer();
    return new Image(tree("empty", new DirectoryNode(attrs(0755)), l), l);
  }

  /** Every node type, odd attributes, xattrs of every kind, hard links, holes. */
  static Image allTypes() {
    FakeLayers l = new FakeLayers();
    int base = l.addLayer();
    int upper = l.addLayer();
    DirectoryNode root = new DirectoryNode(attrs(0755));
    DirectoryNode etc = dir(root, "etc");
    DirectoryNode bin = dir(root, "bin");
    DirectoryNode dev = dir(root, "dev");
    DirectoryNode tmp = dir(root, "tmp");
    tmp.setAttributes(attrs(01777));
    file(etc, "hostname", 9, l.add(base, "blocklift".getBytes(StandardCharsets.UTF_8)));
    l.skipHeader(base);
    ContentRef gone = l.addRandom(base, 70_000, 1); // deleted by the upper layer: a hole
    l.addRandom(base, 3 << 20, 2); // replaced by the upper layer: a hole
    FileNode big = file(bin, "tool", 3 << 20, l.addRandom(upper, 3 << 20, 3)); // the replacement
    big.setAttributes(
        new Attributes(04755, 0, 0, T, 123_456_789, xattrs("security.capability", cap())));
    bin.put("tool-link", big); // hard link
    etc.put("tool-hardlink", big); // hard link in another directory
    assert gone != null;
    file(etc, "empty", 0, null);
    FileNode owned = file(etc, "owned", 5, l.add(upper, new byte[] {1, 2, 3, 4, 5}));
    owned.setAttributes(new Attributes(0600, 100000, 4000000000L, -86400, 5, new TreeMap<>()));
    FileNode future = file(etc, "future", 1, l.add(upper, new byte[] {'x'}));
    future.setAttributes(new Attributes(0640, 1, 2, 4_200_000_000L, 999_999_999, new TreeMap<>()));
    file(etc, "sparse", 5L << 20, l.addSparse(upper, 5L << 20, 4));
    root.put("short-link", new SymlinkNode(attrs(0777), "etc/hostname"));
    root.put("long-link", new SymlinkNode(attrs(0777), "x/".repeat(60) + "target"));
    dev.put("null", new DeviceNode(attrs(0666), DeviceNode.Kind.CHARACTER, 1, 3));
    dev.put("sda", new DeviceNode(attrs(0660), DeviceNode.Kind.BLOCK, 8, 0));
    dev.put("big", new DeviceNode(attrs(0600), DeviceNode.Kind.CHARACTER, 259, 70000));
    dev.put("whiteout", new DeviceNode(attrs(0000), DeviceNode.Kind.CHARACTER, 0, 0));
    dev.put("fifo", new FifoNode(attrs(0644)));
    dev.put("sock", new SocketNode(attrs(0755)));
    FileNode tagged = file(etc, "tagged", 3, l.add(upper, new byte[] {'a', 'b', 'c'}));
    SortedMap<String, byte[]> many = new TreeMap<>();
    many.put("user.small", "v".getBytes(StandardCharsets.UTF_8));
    many.put("user.big", "w".repeat(300).getBytes(StandardCharsets.UTF_8));
    many.put("trusted.overlay.opaque", "y".getBytes(StandardCharsets.UTF_8));
    many.put("user.empty", new byte[0]);
    tagged.setAttributes(new Attributes(0644, 0, 0, T, 0, many));
    DirectoryNode acl = dir(root, "acl");
    acl.setAttributes(new Attributes(0770, 0, 0, T, 0, xattrs("system.posix_acl_access", acl())));
    FileNode inline = file(acl, "inline", 1, l.add(upper, new byte[] {'i'}));
    inline.setAttributes(
        new Attributes(0644, 0, 0, T, 0, xattrs("user.mime", "text/plain".getBytes(UTF8))));
    // same block-xattr set twice: one shared xattr block with refcount 2
    FileNode shared1 = file(acl, "shared1", 0, null);
    shared1.setAttributes(new Attributes(0644, 0, 0, T, 0, many));
    file(acl, "unicodé ✓", 2, l.add(upper, new byte[] {'u', '8'}));
    return new Image(tree("all-types", root, l), l);
  }

  static final java.nio.charset.Charset UTF8 = StandardCharsets.UTF_8;

  static SortedMap<String, byte[]> xattrs(String name, byte[] value) {
    SortedMap<String, byte[]> m = new TreeMap<>();
    m.put(name, value);
    return m;
  }

  /** A VFS capability v2 value: cap_net_bind_service permitted + effective. */
  static byte[] cap() {
    byte[] v = new byte[20];
    v[0] = 0x01;
    v[3] = 0x02; // magic 0x02000001 little-endian: revision 2, effective flag
    v[5] = 0x04; // permitted bit 10 (cap_net_bind_service)
    return v;
  }

  /** A VFS POSIX ACL: user::rwx user:1000:r-x group::r-x mask::r-x other::---. */
  static byte[] acl() {
    java.nio.ByteBuffer b =
        java.nio.ByteBuffer.allocate(4 + 5 * 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    b.putInt(2);
    b.putShort((short) 0x01).putShort((short) 7).putInt(-1);
    b.putShort((short) 0x02).putShort((short) 5).putInt(1000);
    b.putShort((short) 0x04).putShort((short) 5).putInt(-1);
    b.putShort((short) 0x10).putShort((short) 5).putInt(-1);
    b.putShort((short) 0x20).putShort((short) 0).putInt(-1);
    return b.array();
  }

  /** A directory with {@code n} entries (files, every tenth empty). */
  static Image wide(int n) {
    FakeLayers l = new FakeLayers();
    int layer = l.addLayer();
    DirectoryNode root = new DirectoryNode(attrs(0755));
    DirectoryNode d = dir(root, "wide");
    for (int i = 0; i < n; i++) {
      String name = "entry-" + i + "-" + "n".repeat(i % 40);
      if (i % 10 == 0) {
        file(d, name, 0, null);
      } else {
        byte[] data = ("file " + i).getBytes(UTF8);
        file(d, name, data.length, l.add(layer, data));
      }
    }
    return new Image(tree("wide-" + n, root, l), l);
  }

  /** A chain of {@code depth} nested directories with a file at every level. */
  static Image deep(int depth) {
    FakeLayers l = new FakeLayers();
    int layer = l.addLayer();
    DirectoryNode root = new DirectoryNode(attrs(0755));
    DirectoryNode d = root;
    for (int i = 0; i < depth; i++) {
      d = dir(d, "d" + i);
      byte[] data = ("level " + i).getBytes(UTF8);
      file(d, "f", data.length, l.add(layer, data));
    }
    return new Image(tree("deep-" + depth, root, l), l);
  }

  /** One file of {@code size} bytes (pseudo-random), to exercise extents and index blocks. */
  static Image bigFile(long size, boolean sparse) {
    FakeLayers l = new FakeLayers();
    int layer = l.addLayer();
    DirectoryNode root = new DirectoryNode(attrs(0755));
    ContentRef ref = sparse ? l.addSparse(layer, size, 9) : l.addRandom(layer, size, 9);
    file(root, "big", size, ref);
    return new Image(tree("big-" + size + sparse, root, l), l);
  }

  /**
   * 10 GiB of file data: 40 sparse files of 256 MiB plus 50,000 small files in 500 directories,
   * over two layers (the bounded-memory case).
   */
  static Image tenGiB() {
    FakeLayers l = new FakeLayers();
    int base = l.addLayer();
    int upper = l.addLayer();
    DirectoryNode root = new DirectoryNode(attrs(0755));
    DirectoryNode big = dir(root, "big");
    for (int i = 0; i < 40; i++) {
      long size = 256L << 20;
      file(big, "blob-" + i, size, l.addSparse(i % 2 == 0 ? base : upper, size, i));
    }
    DirectoryNode many = dir(root, "many");
    for (int d = 0; d < 500; d++) {
      DirectoryNode sub = dir(many, "d" + d);
      for (int f = 0; f < 100; f++) {
        file(sub, "f" + f, 100, l.addRandom(base, 100, d * 1000L + f));
      }
    }
    return new Image(tree("ten-gib", root, l), l);
  }

  static Node lookup(DirectoryNode root, String path) {
    Node n = root;
    for (String part : path.split("/")) {
      n = ((DirectoryNode) n).get(part);
    }
    return n;
  }
}
