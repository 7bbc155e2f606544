package dev.blocklift.image.tree;

import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Inode attributes common to every node type, as a layer's tar header gives them.
 *
 * @param permissions the permission bits incl. setuid, setgid and sticky ({@code 07777}); the file
 *     type is the node's class, never in these bits
 * @param mtimeSeconds seconds since the epoch (may be negative)
 * @param mtimeNanos 0..999,999,999
 * @param xattrs extended attributes by full name (e.g. {@code security.capability}), sorted
 */
public record Attributes(
    int permissions,
    long uid,
    long gid,
    long mtimeSeconds,
    int mtimeNanos,
    SortedMap<String, byte[]> xattrs) {

  public Attributes {
    if ((permissions & ~07777) != 0) {
      throw new IllegalArgumentException(
          "permissions must be within 07777, got 0" + Integer.toOctalString(permissions));
    }
    if (uid < 0 || uid > 0xFFFF_FFFFL || gid < 0 || gid > 0xFFFF_FFFFL) {
      throw new IllegalArgumentException("uid/gid out of range: " + uid + "/" + gid);
    }
    if (mtimeNanos < 0 || mtimeNanos > 999_999_999) {
      throw new IllegalArgumentException("mtime nanoseconds out of range: " + mtimeNanos);
    }
    xattrs = Collections.unmodifiableSortedMap(new TreeMap<>(xattrs));
  }

  public static Attributes of(int permissions, long uid, long gid, long mtimeSeconds) {
    return new Attributes(permissions, uid, gid, mtimeSeconds, 0, new TreeMap<>());
  }
}
