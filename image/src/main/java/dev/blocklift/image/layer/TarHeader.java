package dev.blocklift.image.layer;

import dev.blocklift.image.tree.RawPath;
import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One entry as the tar reader yields it, after PAX and GNU long-name records were folded in. Names
 * and link targets are the header's bytes, whatever their encoding.
 *
 * @param type the effective type flag ({@code '0'} for regular files incl. old {@code '\0'} and
 *     contiguous {@code '7'}; {@code '5'} for directories incl. old-style trailing-slash names)
 * @param size the entry's data size; 0 for header-only types (links, devices, dirs, fifos)
 * @param mode the full mode field (permission bits are {@code mode & 07777})
 */
public record TarHeader(
    RawPath name,
    char type,
    long mode,
    long uid,
    long gid,
    long size,
    long mtimeSeconds,
    int mtimeNanos,
    RawPath linkName,
    long devMajor,
    long devMinor,
    SortedMap<String, byte[]> xattrs) {

  public static final char REGULAR = '0';
  public static final char HARDLINK = '1';
  public static final char SYMLINK = '2';
  public static final char CHAR_DEVICE = '3';
  public static final char BLOCK_DEVICE = '4';
  public static final char DIRECTORY = '5';
  public static final char FIFO = '6';

  public TarHeader {
    xattrs = Collections.unmodifiableSortedMap(new TreeMap<>(xattrs));
  }

  /** A regular file entry that carries data: what {@code LayerFiles} lists. */
  public boolean hasFileData() {
    return type == REGULAR && size > 0;
  }
}
