package dev.blocklift.testing;

import dev.blocklift.core.Hex;
import dev.blocklift.core.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.stream.Stream;

/**
 * What a root filesystem looks like, path by path, in a form two trees can be compared in: type,
 * owner, permission bits (incl. setuid/setgid/sticky), mtime (whole seconds: umoci restores
 * sub-second mtimes but not every filesystem or tool keeps them, and atime/ctime are never
 * compared), size and sha256 of regular files, symlink target, hard-link group (the smallest path
 * among names sharing an inode, for files with more than one name), device numbers, xattrs (hex).
 * Paths are absolute within the tree ("/" is the root). Directory sizes are not recorded (they
 * depend on the filesystem).
 */
public record TreeSnapshot(SortedMap<String, Entry> entries) {
  /** The kind of a node. */
  public enum Type {
    DIRECTORY,
    FILE,
    SYMLINK,
    CHAR_DEVICE,
    BLOCK_DEVICE,
    FIFO,
    SOCKET
  }

  /** One path's recorded state. Fields that do not apply are 0, "" or empty. */
  public record Entry(
      Type type,
      long uid,
      long gid,
      int mode,
      long mtimeSeconds,
      long size,
      String sha256,
      String linkTarget,
      String hardLinkGroup,
      int major,
      int minor,
      SortedMap<String, String> xattrs) {
    public Entry {
      xattrs = Collections.unmodifiableSortedMap(new TreeMap<>(xattrs));
    }

    public Entry withMtime(long seconds) {
      return new Entry(
          type,
          uid,
          gid,
          mode,
          seconds,
          size,
          sha256,
          linkTarget,
          hardLinkGroup,
          major,
          minor,
          xattrs);
    }

    public Entry withXattrs(SortedMap<String, String> x) {
      return new Entry(
          type,
          uid,
          gid,
          mode,
          mtimeSeconds,
          size,
          sha256,
          linkTarget,
          hardLinkGroup,
          major,
          minor,
          x);
    }

    @Override
    public String toString() {
      return type
          + " "
          + uid
          + ":"
          + gid
          + " 0"
          + Integer.toOctalString(mode)
          + " mtime="
          + mtimeSeconds
          + (type == Type.FILE ? " size=" + size + " sha256=" + sha256.substring(0, 12) : "")
          + (linkTarget.isEmpty() ? "" : " -> " + linkTarget)
          + (hardLinkGroup.isEmpty() ? "" : " link-group=" + hardLinkGroup)
          + (type == Type.CHAR_DEVICE || type == Type.BLOCK_DEVICE
              ? " dev=" + major + ":" + minor
              : "")
          + (xattrs.isEmpty() ? "" : " xattrs=" + xattrs);
    }
  }

  public TreeSnapshot {
    entries = Collections.unmodifiableSortedMap(new TreeMap<>(entries));
  }

  /**
   * Walks a real directory (e.g. an umoci rootfs or a read-only loop mount), never following
   * symlinks.
   */
  public static TreeSnapshot of(Path root) throws IOException {
    SortedMap<String, Entry> out = new TreeMap<>();
    Map<Object, List<String>> inodes = new HashMap<>();
    List<Path> paths;
    try (Stream<Path> s = Files.walk(root)) {
      paths = s.toList();
    }
    Map<String, Object> inodeOf = new HashMap<>();
    for (Path p : paths) {
      String rel = "/" + root.relativize(p).toString().replace('\\', '/');
      if (rel.equals("/")) {
        rel = "/";
      }
      if (rel.equals("/lost+found") && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        continue; // ext4's own directory, not part of an image
      }
      Map<String, Object> a = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
      int rawMode = (Integer) a.get("mode");
      Type type =
          switch (rawMode & 0170000) {
            case 0040000 -> Type.DIRECTORY;
            case 0100000 -> Type.FILE;
            case 0120000 -> Type.SYMLINK;
            case 0020000 -> Type.CHAR_DEVICE;
            case 0060000 -> Type.BLOCK_DEVICE;
            case 0010000 -> Type.FIFO;
            case 0140000 -> Type.SOCKET;
            default ->
                throw new IOException(
                    "unknown file type of " + p + ": 0" + Integer.toOctalString(rawMode));
          };
      long rdev = (Long) a.get("rdev");
      int major = (int) (((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL));
      int minor = (int) ((rdev & 0xff) | ((rdev >>> 12) & ~0xffL));
      long size = type == Type.FILE ? (Long) a.get("size") : 0;
      String sha = type == Type.FILE ? sha256(p) : "";
      String target = type == Type.SYMLINK ? Files.readSymbolicLink(p).toString() : "";
      int nlink = (Integer) a.get("nlink");
      if (type != Type.DIRECTORY && nlink > 1) {
        Object key = List.of(a.get("dev"), a.get("ino"));
        inodes.computeIfAbsent(key, k -> new ArrayList<>()).add(rel);
        inodeOf.put(rel, key);
      }
      SortedMap<String, String> x = new TreeMap<>();
      Xattrs.read(p).forEach((k, v) -> x.put(k, Hex.encode(v)));
      long mtime =
          ((java.nio.file.attribute.FileTime) a.get("lastModifiedTime"))
              .toInstant()
              .getEpochSecond();
      out.put(
          rel,
          new Entry(
              type,
              ((Number) a.get("uid")).longValue(),
              ((Number) a.get("gid")).longValue(),
              rawMode & 07777,
              mtime,
              size,
              sha,
              target,
              "",
              type == Type.CHAR_DEVICE || type == Type.BLOCK_DEVICE ? major : 0,
              type == Type.CHAR_DEVICE || type == Type.BLOCK_DEVICE ? minor : 0,
              x));
    }
    return withLinkGroups(out, inodeOf, inodes);
  }

  /**
   * Builds a snapshot from any tree model: {@code groups} maps a path to a node identity key; paths
   * with the same key (and more than one path) form a hard-link group.
   */
  public static TreeSnapshot withLinkGroups(
      SortedMap<String, Entry> entries,
      Map<String, Object> keyOf,
      Map<Object, List<String>> groups) {
    SortedMap<String, Entry> out = new TreeMap<>(entries);
    for (Map.Entry<String, Object> e : keyOf.entrySet()) {
      List<String> names = groups.get(e.getValue());
      if (names.size() < 2) {
        continue;
      }
      String group = Collections.min(names);
      Entry old = out.get(e.getKey());
      out.put(
          e.getKey(),
          new Entry(
              old.type(),
              old.uid(),
              old.gid(),
              old.mode(),
              old.mtimeSeconds(),
              old.size(),
              old.sha256(),
              old.linkTarget(),
              group,
              old.major(),
              old.minor(),
              old.xattrs()));
    }
    return new TreeSnapshot(out);
  }

  public static String sha256(InputStream in) throws IOException {
    MessageDigest md = Sha256.newDigest();
    byte[] buf = new byte[1 << 16];
    int n;
    while ((n = in.read(buf)) > 0) {
      md.update(buf, 0, n);
    }
    return Hex.encode(md.digest());
  }

  /** {@link #sha256(InputStream)} for streams that cannot fail (in-memory). */
  public static String sha256Unchecked(InputStream in) {
    try {
      return sha256(in);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static String sha256(Path p) throws IOException {
    try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
      return sha256(in);
    }
  }

  /** A copy with every entry transformed ({@code fn} returns null to drop the path). */
  public TreeSnapshot map(BiFunction<String, Entry, Entry> fn) {
    SortedMap<String, Entry> out = new TreeMap<>();
    entries.forEach(
        (k, v) -> {
          Entry e = fn.apply(k, v);
          if (e != null) {
            out.put(k, e);
          }
        });
    return new TreeSnapshot(out);
  }

  /** Human-readable differences (at most {@code max} lines), empty if equal. */
  public List<String> differences(TreeSnapshot other, int max) {
    List<String> out = new ArrayList<>();
    TreeMap<String, Boolean> all = new TreeMap<>();
    entries.keySet().forEach(k -> all.put(k, true));
    other.entries.keySet().forEach(k -> all.put(k, true));
    for (String path : all.keySet()) {
      Entry a = entries.get(path);
      Entry b = other.entries.get(path);
      if (!Objects.equals(a, b)) {
        out.add(path + ":\n    expected " + a + "\n    actual   " + b);
        if (out.size() >= max) {
          out.add("...");
          break;
        }
      }
    }
    return out;
  }

  /** Fails with the differences unless {@code actual} equals this snapshot. */
  public void assertSameAs(TreeSnapshot actual, String what) {
    List<String> d = differences(actual, 30);
    if (!d.isEmpty()) {
      throw new AssertionError(
          what + ": trees differ in " + d.size() + " paths:\n" + String.join("\n", d));
    }
  }
}
