package dev.blocklift.image;

import dev.blocklift.core.Hex;
import dev.blocklift.image.tree.Attributes;
import dev.blocklift.image.tree.ContentRef;
import dev.blocklift.image.tree.DeviceNode;
import dev.blocklift.image.tree.DirectoryNode;
import dev.blocklift.image.tree.FifoNode;
import dev.blocklift.image.tree.FileNode;
import dev.blocklift.image.tree.Node;
import dev.blocklift.image.tree.SocketNode;
import dev.blocklift.image.tree.SymlinkNode;
import dev.blocklift.testing.TreeSnapshot;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A {@link LoadedImage} as a {@link TreeSnapshot}, so it can be compared with an {@code umoci
 * unpack} rootfs or a loop mount. File hashes come from streaming the layers through {@link
 * LoadedImage#content()} (shipped in the image test-jar for other modules' tests).
 */
public final class LoadedImageSnapshots {
  private LoadedImageSnapshots() {}

  public static TreeSnapshot of(LoadedImage image) throws IOException {
    Map<ContentRef, String> hashes = hashes(image);
    SortedMap<String, TreeSnapshot.Entry> entries = new TreeMap<>();
    Map<String, Object> keyOf = new HashMap<>();
    Map<Object, List<String>> groups = new HashMap<>();
    walk("/", image.tree().root(), hashes, entries, keyOf, groups);
    return TreeSnapshot.withLinkGroups(entries, keyOf, groups);
  }

  private static Map<ContentRef, String> hashes(LoadedImage image) throws IOException {
    Set<ContentRef> needed = new HashSet<>();
    collect(image.tree().root(), needed);
    Map<ContentRef, String> out = new HashMap<>();
    for (int layer = 0; layer < image.tree().layers().size(); layer++) {
      int l = layer;
      if (needed.stream().noneMatch(r -> r.layerIndex() == l)) {
        continue;
      }
      image
          .content()
          .forEachFile(
              layer,
              (entryIndex, size, data) -> {
                ContentRef ref = new ContentRef(l, entryIndex);
                if (needed.contains(ref)) {
                  out.put(ref, TreeSnapshot.sha256(data));
                }
              });
    }
    return out;
  }

  private static void collect(Node n, Set<ContentRef> needed) {
    if (n instanceof DirectoryNode d) {
      d.entries().values().forEach(c -> collect(c, needed));
    } else if (n instanceof FileNode f) {
      f.content().ifPresent(needed::add);
    }
  }

  private static void walk(
      String path,
      Node node,
      Map<ContentRef, String> hashes,
      SortedMap<String, TreeSnapshot.Entry> out,
      Map<String, Object> keyOf,
      Map<Object, List<String>> groups) {
    Attributes a = node.attributes();
    SortedMap<String, String> x = new TreeMap<>();
    a.xattrs().forEach((k, v) -> x.put(k, Hex.encode(v)));
    TreeSnapshot.Type type =
        switch (node) {
          case DirectoryNode d -> TreeSnapshot.Type.DIRECTORY;
          case FileNode f -> TreeSnapshot.Type.FILE;
          case SymlinkNode s -> TreeSnapshot.Type.SYMLINK;
          case DeviceNode d ->
              d.kind() == DeviceNode.Kind.CHARACTER
                  ? TreeSnapshot.Type.CHAR_DEVICE
                  : TreeSnapshot.Type.BLOCK_DEVICE;
          case FifoNode f -> TreeSnapshot.Type.FIFO;
          case SocketNode s -> TreeSnapshot.Type.SOCKET;
        };
    long size = 0;
    String sha = "";
    if (node instanceof FileNode f) {
      size = f.size();
      sha =
          f.content()
              .map(hashes::get)
              .orElseGet(() -> TreeSnapshot.sha256Unchecked(InputStream.nullInputStream()));
    }
    out.put(
        path,
        new TreeSnapshot.Entry(
            type,
            a.uid(),
            a.gid(),
            a.permissions(),
            a.mtimeSeconds(),
            size,
            sha,
            node instanceof SymlinkNode s ? s.target().toString() : "",
            "",
            node instanceof DeviceNode d ? d.major() : 0,
            node instanceof DeviceNode d ? d.minor() : 0,
            x));
    if (!(node instanceof DirectoryNode)) {
      keyOf.put(path, node);
      groups.computeIfAbsent(node, k -> new ArrayList<>()).add(path);
    }
    if (node instanceof DirectoryNode d) {
      for (var e : d.entries().entrySet()) {
        walk(
            path.equals("/") ? "/" + e.getKey() : path + "/" + e.getKey(),
            e.getValue(),
            hashes,
            out,
            keyOf,
            groups);
      }
    }
  }
}
