package dev.blocklift.flatten;

import dev.blocklift.image.tree.Attributes;
import dev.blocklift.image.tree.ContentRef;
import dev.blocklift.image.tree.DeviceNode;
import dev.blocklift.image.tree.DirectoryNode;
import dev.blocklift.image.tree.FifoNode;
import dev.blocklift.image.tree.FileNode;
import dev.blocklift.image.tree.Node;
import dev.blocklift.image.tree.SymlinkNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Seeded random trees over several layers: files of many sizes (some removed or replaced by upper
 * layers, leaving holes), hard links, symlinks, devices, fifos, xattrs, odd owners and modes.
 */
final class RandomTrees {
  private RandomTrees() {}

  static Fixtures.Image build(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    FakeLayers l = new FakeLayers();
    int layers = 1 + r.nextInt(4);
    for (int i = 0; i < layers; i++) {
      l.addLayer();
    }
    DirectoryNode root = new DirectoryNode(Fixtures.attrs(0755));
    List<DirectoryNode> dirs = new ArrayList<>(List.of(root));
    List<FileNode> files = new ArrayList<>();
    int nodes = 50 + r.nextInt(400);
    for (int i = 0; i < nodes; i++) {
      DirectoryNode parent = dirs.get(r.nextInt(dirs.size()));
      String name = "n" + i + (r.nextInt(5) == 0 ? "-" + "long".repeat(r.nextInt(50)) : "");
      int kind = r.nextInt(20);
      // the kernel allows user.* xattrs only on regular files and directories
      Attributes a = attrs(r, kind < 14);
      Node n;
      if (kind < 4) {
        DirectoryNode d = new DirectoryNode(a);
        dirs.add(d);
        n = d;
      } else if (kind < 14) {
        int layer = r.nextInt(layers);
        long size = size(r);
        if (r.nextInt(4) == 0) {
          l.addRandom(layer, size(r), r.nextLong()); // a hole: removed by an upper layer
        }
        if (r.nextInt(5) == 0) {
          l.skipHeader(layer);
        }
        ContentRef ref = size == 0 ? null : l.addRandom(layer, size, r.nextLong());
        FileNode f = new FileNode(a, size, Optional.ofNullable(ref));
        files.add(f);
        n = f;
      } else if (kind < 16 && !files.isEmpty()) {
        n = files.get(r.nextInt(files.size())); // hard link
      } else if (kind < 18) {
        n = new SymlinkNode(a, "t/".repeat(1 + r.nextInt(60)) + i);
      } else if (kind < 19) {
        n =
            new DeviceNode(
                a,
                r.nextBoolean() ? DeviceNode.Kind.CHARACTER : DeviceNode.Kind.BLOCK,
                r.nextInt(4096),
                r.nextInt(1 << 20));
      } else {
        n = new FifoNode(a);
      }
      parent.put(name, n);
    }
    return new Fixtures.Image(Fixtures.tree("random-" + seed, root, l), l);
  }

  private static long size(SplittableRandom r) {
    return switch (r.nextInt(6)) {
      case 0 -> 0;
      case 1 -> 1 + r.nextInt(100);
      case 2 -> r.nextInt(5000);
      case 3 -> r.nextInt(200_000);
      case 4 -> 512 * 1024;
      default -> 400_000 + r.nextInt(1_500_000);
    };
  }

  private static Attributes attrs(SplittableRandom r, boolean userXattrs) {
    TreeMap<String, byte[]> x = new TreeMap<>();
    int k = r.nextInt(8);
    if (k == 0 && userXattrs) {
      x.put("user.a", "1".getBytes(StandardCharsets.UTF_8));
    } else if (k == 1) {
      if (userXattrs) {
        x.put("user.big" + r.nextInt(3), new byte[100 + r.nextInt(900)]);
      }
      x.put("security.capability", Fixtures.cap());
    } else if (k == 2) {
      x.put("trusted.t" + r.nextInt(2), new byte[r.nextInt(40)]);
    }
    long uid = r.nextInt(3) == 0 ? r.nextLong(0x1_0000_0000L) : r.nextInt(1000);
    long gid = r.nextInt(3) == 0 ? r.nextLong(0x1_0000_0000L) : r.nextInt(1000);
    return new Attributes(
        r.nextInt(07777 + 1),
        uid,
        gid,
        r.nextLong(-(1L << 31), 1L << 33),
        r.nextInt(1_000_000_000),
        x);
  }
}
