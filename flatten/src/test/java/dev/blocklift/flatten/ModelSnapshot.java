package dev.blocklift.flatten;

import dev.blocklift.core.Hex;
import dev.blocklift.image.tree.Attributes;
import dev.blocklift.image.tree.DeviceNode;
import dev.blocklift.image.tree.DirectoryNode;
import dev.blocklift.image.tree.FifoNode;
import dev.blocklift.image.tree.FileNode;
import dev.blocklift.image.tree.FlattenedTree;
import dev.blocklift.image.tree.Name;
import dev.blocklift.image.tree.Node;
import dev.blocklift.image.tree.SocketNode;
import dev.blocklift.image.tree.SymlinkNode;
import dev.blocklift.testing.TreeSnapshot;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/** The snapshot a correct filesystem must show for a tree built in code. */
final class ModelSnapshot {
  private ModelSnapshot() {}

  static TreeSnapshot of(FlattenedTree tree, FakeLayers content) {
    SortedMap<String, TreeSnapshot.Entry> out = new TreeMap<>();
    Map<String, Object> keyOf = new HashMap<>();
    IdentityHashMap<Object, List<String>> groups = new IdentityHashMap<>();
    walk("/", tree.root(), content, out, keyOf, groups);
    return TreeSnapshot.withLinkGroups(out, keyOf, groups);
  }

  /**
   * TreeSnapshot.of reads uid/gid through Java's int-typed unix:uid, so ids of 2^31 and above come
   * back negative; this maps them back to the unsigned 32-bit value the filesystem holds.
   */
  static TreeSnapshot unsignedIds(TreeSnapshot s) {
    return s.map(
        (path, e) ->
            new TreeSnapshot.Entry(
                e.type(),
                e.uid() & 0xFFFF_FFFFL,
                e.gid() & 0xFFFF_FFFFL,
                e.mode(),
                e.mtimeSeconds(),
                e.size(),
                e.sha256(),
                e.linkTarget(),
                e.hardLinkGroup(),
                e.major(),
                e.minor(),
                e.xattrs()));
  }

  private static void walk(
      String path,
      Node node,
      FakeLayers content,
      SortedMap<String, TreeSnapshot.Entry> out,
      Map<String, Object> keyOf,
      IdentityHashMap<Object, List<String>> groups) {
    Attributes a = node.attributes();
    SortedMap<String, String> x = new TreeMap<>();
    a.xattrs().forEach((k, v) -> x.put(k, Hex.encode(v)));
    TreeSnapshot.Type type;
    int mode = a.permissions();
    long size = 0;
    String sha = "";
    String target = "";
    int major = 0;
    int minor = 0;
    switch (node) {
      case DirectoryNode d -> type = TreeSnapshot.Type.DIRECTORY;
      case FileNode f -> {
        type = TreeSnapshot.Type.FILE;
        size = f.size();
        sha =
            f.content()
                .map(
                    ref -> {
                      try (InputStream in = content.open(ref)) {
                        return TreeSnapshot.sha256(in);
                      } catch (IOException e) {
                        throw new UncheckedIOException(e);
                      }
                    })
                .orElse(TreeSnapshot.sha256Unchecked(InputStream.nullInputStream()));
      }
      case SymlinkNode s -> {
        type = TreeSnapshot.Type.SYMLINK;
        mode = 0777;
        target = s.target().toString();
      }
      case DeviceNode d -> {
        type =
            d.kind() == DeviceNode.Kind.CHARACTER
                ? TreeSnapshot.Type.CHAR_DEVICE
                : TreeSnapshot.Type.BLOCK_DEVICE;
        major = d.major();
        minor = d.minor();
      }
      case FifoNode f -> type = TreeSnapshot.Type.FIFO;
      case SocketNode s -> type = TreeSnapshot.Type.SOCKET;
    }
    out.put(
        path,
        new TreeSnapshot.Entry(
            type,
            a.uid(),
            a.gid(),
            mode,
            a.mtimeSeconds(),
            size,
            sha,
            target,
            "",
            major,
            minor,
            x));
    if (!(node instanceof DirectoryNode)) {
      keyOf.put(path, node);
      groups.computeIfAbsent(node, k -> new ArrayList<>()).add(path);
    }
    if (node instanceof DirectoryNode d) {
      for (Map.Entry<Name, Node> e : d.entries().entrySet()) {
        String child = path.equals("/") ? "/" + e.getKey() : path + "/" + e.getKey();
        walk(child, e.getValue(), content, out, keyOf, groups);
      }
    }
  }
}
