package dev.blocklift.image.layer;

import dev.blocklift.core.CorruptDataException;
import dev.blocklift.image.LimitExceededException;
import dev.blocklift.image.LoadLimits;
import dev.blocklift.image.tree.Attributes;
import dev.blocklift.image.tree.Births;
import dev.blocklift.image.tree.ContentRef;
import dev.blocklift.image.tree.DeviceNode;
import dev.blocklift.image.tree.DirectoryNode;
import dev.blocklift.image.tree.FifoNode;
import dev.blocklift.image.tree.FileNode;
import dev.blocklift.image.tree.Name;
import dev.blocklift.image.tree.Node;
import dev.blocklift.image.tree.RawPath;
import dev.blocklift.image.tree.SymlinkNode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Applies tar entries, layer after layer, to an in-memory tree, with the semantics umoci (and
 * runc's image tooling) give them. Nothing here touches a real filesystem, so no entry can write
 * outside the tree; the rules below only decide what the tree looks like.
 *
 * <ul>
 *   <li><b>Paths</b> are cleaned lexically with the root as a floor, as umoci's {@code CleanPath}
 *       does: a leading {@code /} is dropped, {@code .} is ignored and {@code ..} never climbs
 *       above the root ({@code ../../etc/x} becomes {@code etc/x}).
 *   <li><b>Symlinks in the parent path</b> are followed <em>inside</em> the tree, with the root as
 *       the floor for {@code /} and {@code ..} (umoci resolves parents with securejoin in the
 *       rootfs): with {@code etc -> /} in layer 1, layer 2's {@code etc/passwd} becomes {@code
 *       /passwd}. More than {@value #MAX_SYMLINKS} symlinks on one path is an error (a loop). A
 *       parent that is a file is an error. Missing parents are created as implicit directories
 *       (mode 0755, owner 0:0, mtime = the image's created time; umoci gives them the wall-clock
 *       time, which is not reproducible).
 *   <li><b>Whiteouts</b> {@code .wh.NAME} remove NAME (and its subtree) if it came from a lower
 *       layer; an opaque marker {@code .wh..wh..opq} removes every entry of its directory that did
 *       not come from the current layer. Whiteouts of missing paths are ignored.
 *   <li><b>Replacement</b>: a later entry replaces an earlier one of the same name (a directory
 *       over a directory only updates the attributes and keeps the children).
 *   <li><b>Hard links</b> put the target's node object under the new name (one inode, any number of
 *       names); a whiteout of one name leaves the others. The link name's own header fields are
 *       ignored, as tar does. A target that does not exist or is a directory is an error; symlinks
 *       in the target's parent path are followed inside the tree, a final symlink is not (the new
 *       name becomes another name of the symlink itself, as umoci makes it).
 * </ul>
 */
public final class LayerApplier {
  /** Linux's limit on symlinks followed while resolving one path. */
  public static final int MAX_SYMLINKS = 40;

  private static final String WHITEOUT = ".wh.";
  private static final String OPAQUE = ".wh..wh..opq";

  private final DirectoryNode root;
  private final long implicitMtime;
  private final Consumer<String> warnings;
  private final Births births;
  private final LoadLimits limits;
  private long entries;
  private long nodes;
  private long metadataBytes;
  private int layerIndex = -1;
  private IdentityHashMap<DirectoryNode, Set<Name>> touched = new IdentityHashMap<>();

  public LayerApplier(DirectoryNode root, long implicitMtime, Consumer<String> warnings) {
    this(root, implicitMtime, warnings, new Births());
  }

  /**
   * @param births receives the birth (layer and order) of every node this applier creates
   */
  public LayerApplier(
      DirectoryNode root, long implicitMtime, Consumer<String> warnings, Births births) {
    this(root, implicitMtime, warnings, births, LoadLimits.defaults());
  }

  /**
   * @param limits bounds the entries applied, the nodes created and the metadata bytes kept, over
   *     all layers; beyond them {@link #apply} throws {@link LimitExceededException}
   */
  public LayerApplier(
      DirectoryNode root,
      long implicitMtime,
      Consumer<String> warnings,
      Births births,
      LoadLimits limits) {
    this.root = root;
    this.implicitMtime = implicitMtime;
    this.warnings = warnings;
    this.births = births;
    this.limits = limits;
  }

  public void startLayer(int layerIndex) {
    this.layerIndex = layerIndex;
    this.touched = new IdentityHashMap<>();
  }

  /**
   * Cleans a tar path like umoci's CleanPath, byte for byte; the empty list is the root. A
   * component that cannot be a name (over 255 bytes) throws {@link
   * dev.blocklift.image.tree.InvalidNameException}.
   */
  public static List<Name> clean(RawPath path) {
    List<Name> out = new ArrayList<>();
    for (byte[] c : path.components()) {
      if (isDot(c)) {
        continue;
      }
      if (isDotDot(c)) {
        if (!out.isEmpty()) {
          out.removeLast();
        }
        continue;
      }
      out.add(Name.of(c));
    }
    return out;
  }

  /** An empty component or {@code .}: no step. */
  private static boolean isDot(byte[] c) {
    return c.length == 0 || (c.length == 1 && c[0] == '.');
  }

  private static boolean isDotDot(byte[] c) {
    return c.length == 2 && c[0] == '.' && c[1] == '.';
  }

  /**
   * Applies one entry. Errors are {@link CorruptDataException} or {@link IllegalArgumentException}
   * with a message about the entry; the caller adds the layer and entry position.
   */
  public void apply(TarHeader h, long entryIndex) {
    count(h);
    List<Name> comps = clean(h.name());
    if (comps.isEmpty()) {
      if (h.type() != TarHeader.DIRECTORY) {
        throw new CorruptDataException("an entry for the root directory must be a directory");
      }
      root.setAttributes(attributes(h));
      return;
    }
    Name base = comps.getLast();
    List<Name> parentPath = comps.subList(0, comps.size() - 1);
    if (base.startsWith(WHITEOUT)) {
      whiteout(parentPath, base);
      return;
    }
    DirectoryNode parent = resolveDirectory(parentPath, true);
    Node existing = parent.get(base);
    switch (h.type()) {
      case TarHeader.DIRECTORY -> {
        if (existing instanceof DirectoryNode d) {
          d.setAttributes(attributes(h));
        } else {
          parent.put(base, born(new DirectoryNode(attributes(h))));
        }
      }
      case TarHeader.REGULAR ->
          parent.put(
              base,
              born(
                  new FileNode(
                      attributes(h),
                      h.size(),
                      h.size() > 0
                          ? Optional.of(new ContentRef(layerIndex, entryIndex))
                          : Optional.empty())));
      case TarHeader.SYMLINK -> {
        if (h.linkName().isEmpty()) {
          throw new CorruptDataException("symlink with an empty target");
        }
        parent.put(base, born(new SymlinkNode(attributes(h), h.linkName())));
      }
      case TarHeader.HARDLINK -> {
        Node target = resolveLinkTarget(h.linkName());
        if (target != existing) {
          parent.put(base, target);
        }
      }
      case TarHeader.CHAR_DEVICE, TarHeader.BLOCK_DEVICE -> {
        if (h.devMajor() > 0xFFF
            || h.devMinor() > 0xFFFFF
            || h.devMajor() < 0
            || h.devMinor() < 0) {
          throw new CorruptDataException(
              "device number out of range: " + h.devMajor() + ":" + h.devMinor());
        }
        parent.put(
            base,
            born(
                new DeviceNode(
                    attributes(h),
                    h.type() == TarHeader.CHAR_DEVICE
                        ? DeviceNode.Kind.CHARACTER
                        : DeviceNode.Kind.BLOCK,
                    (int) h.devMajor(),
                    (int) h.devMinor())));
      }
      case TarHeader.FIFO -> parent.put(base, born(new FifoNode(attributes(h))));
      default -> {
        warnings.accept(
            "layer "
                + layerIndex
                + ": skipped entry \""
                + h.name()
                + "\" of unsupported tar type '"
                + h.type()
                + "'");
        return;
      }
    }
    touch(parent, base);
  }

  private <N extends Node> N born(N node) {
    if (++nodes > limits.maxNodes()) {
      throw new LimitExceededException(
          "node " + nodes + " of the tree", "LoadLimits.maxNodes", limits.maxNodes());
    }
    births.born(node, layerIndex);
    return node;
  }

  /** Counts the entry and its metadata bytes against the limits. */
  private void count(TarHeader h) {
    if (++entries > limits.maxEntries()) {
      throw new LimitExceededException(
          "tar entry " + entries + " of the image", "LoadLimits.maxEntries", limits.maxEntries());
    }
    long bytes = (long) h.name().length() + h.linkName().length();
    for (var x : h.xattrs().entrySet()) {
      bytes += x.getKey().length() + x.getValue().length;
    }
    metadataBytes += bytes;
    if (metadataBytes > limits.maxMetadataBytes()) {
      throw new LimitExceededException(
          metadataBytes + " metadata bytes (names, link targets, xattrs) over the image's entries",
          "LoadLimits.maxMetadataBytes",
          limits.maxMetadataBytes());
    }
  }

  private void touch(DirectoryNode dir, Name name) {
    touched.computeIfAbsent(dir, d -> new HashSet<>()).add(name);
  }

  private boolean touchedThisLayer(DirectoryNode dir, Name name) {
    Set<Name> s = touched.get(dir);
    return s != null && s.contains(name);
  }

  private void whiteout(List<Name> parentPath, Name base) {
    DirectoryNode parent = resolveDirectory(parentPath, false);
    if (parent == null) {
      return;
    }
    if (base.is(OPAQUE)) {
      List<Name> lower = new ArrayList<>();
      for (Name name : parent.entries().keySet()) {
        if (!touchedThisLayer(parent, name)) {
          lower.add(name);
        }
      }
      lower.forEach(parent::remove);
      return;
    }
    Name name = Name.of(base.bytesAfter(WHITEOUT.length()));
    if (touchedThisLayer(parent, name)) {
      warnings.accept(
          "layer "
              + layerIndex
              + ": whiteout \""
              + base
              + "\" ignored, its target comes from the same layer");
      return;
    }
    parent.remove(name);
  }

  private Node resolveLinkTarget(RawPath linkName) {
    List<Name> comps = clean(linkName);
    if (comps.isEmpty()) {
      throw new CorruptDataException("hard link to the root directory \"" + linkName + "\"");
    }
    Node target = resolve(comps, false, false);
    if (target == null) {
      throw new CorruptDataException(
          "hard link target \"" + linkName + "\" does not exist in this or a lower layer");
    }
    if (target instanceof DirectoryNode) {
      throw new CorruptDataException("hard link target \"" + linkName + "\" is a directory");
    }
    return target;
  }

  /**
   * Resolves a directory path from the root, following symlinks inside the tree; missing components
   * are created ({@code create}) or make the result null.
   */
  DirectoryNode resolveDirectory(List<Name> path, boolean create) {
    return (DirectoryNode) resolve(path, create, true);
  }

  /**
   * Walks {@code path} from the root. Every symlink met is followed inside the tree (an absolute
   * target restarts at the root, {@code ..} stops at the root). With {@code wantDirectory} the
   * result is a directory, final symlinks followed (or null when missing and not {@code create});
   * otherwise the final component is returned unfollowed, whatever it is, or null.
   */
  private Node resolve(List<Name> path, boolean create, boolean wantDirectory) {
    Deque<DirectoryNode> stack = new ArrayDeque<>(List.of(root));
    Deque<byte[]> todo = new ArrayDeque<>();
    for (Name n : path) {
      todo.addLast(n.bytes());
    }
    int links = 0;
    while (!todo.isEmpty()) {
      byte[] raw = todo.pollFirst();
      if (isDot(raw)) {
        continue;
      }
      if (isDotDot(raw)) {
        if (stack.size() > 1) {
          stack.pollLast();
        }
        continue;
      }
      Name c = Name.of(raw);
      DirectoryNode cur = stack.peekLast();
      Node n = cur.get(c);
      if (!wantDirectory && isLast(todo)) {
        return n; // a hard link's final component is not followed (link(2) does not follow)
      }
      if (n instanceof SymlinkNode s) {
        if (++links > MAX_SYMLINKS) {
          throw new CorruptDataException(
              "too many levels of symbolic links resolving \"" + joined(path) + "\"");
        }
        if (s.target().isAbsolute()) {
          while (stack.size() > 1) {
            stack.pollLast();
          }
        }
        List<byte[]> target = s.target().components();
        for (int i = target.size() - 1; i >= 0; i--) {
          todo.addFirst(target.get(i));
        }
        continue;
      }
      switch (n) {
        case null -> {
          if (!create) {
            return null;
          }
          DirectoryNode d = born(new DirectoryNode(Attributes.of(0755, 0, 0, implicitMtime)));
          cur.put(c, d);
          touch(cur, c);
          stack.addLast(d);
        }
        case DirectoryNode d -> stack.addLast(d);
        default -> {
          if (!create) {
            return null;
          }
          throw new CorruptDataException("parent path component \"" + c + "\" is not a directory");
        }
      }
    }
    return stack.peekLast();
  }

  private static boolean isLast(Deque<byte[]> todo) {
    for (byte[] c : todo) {
      if (!isDot(c)) {
        return false;
      }
    }
    return true;
  }

  private static String joined(List<Name> path) {
    StringBuilder b = new StringBuilder();
    for (Name n : path) {
      b.append(b.isEmpty() ? "" : "/").append(n);
    }
    return b.toString();
  }

  private static Attributes attributes(TarHeader h) {
    return new Attributes(
        (int) (h.mode() & 07777),
        h.uid(),
        h.gid(),
        h.mtimeSeconds(),
        h.mtimeNanos(),
        new java.util.TreeMap<>(h.xattrs()));
  }
}
