package dev.blocklift.image;

import dev.blocklift.core.ByteSize;

/**
 * Bounds on what the layers of an image can make the loader do, whatever they hold. The defaults
 * are far above any real image (the largest have a few hundred thousand files) and keep a hostile
 * image from taking unbounded time or memory: the tree's memory is at most about 400 bytes per node
 * plus the metadata bytes, and each read of a header is bounded. Beyond a limit the load fails with
 * a {@link LimitExceededException} naming the limit, its value and what exceeded it. Fixed limits
 * of the format are not here: a name is at most 255 bytes and a path or link target at most 4095
 * (PATH_MAX), see {@code tree.Name} and {@code tree.RawPath}.
 *
 * @param maxHeaderBytes the data of one PAX extended header ({@code x} or {@code g}) or one GNU
 *     long name or link record ({@code L}, {@code K}); default 1 MiB (as Go's archive/tar)
 * @param maxEntries tar entries (headers, PAX and GNU records not counted) over all layers; default
 *     4,194,304
 * @param maxNodes nodes of the tree created over all layers, missing parents and nodes that a later
 *     layer removes included; default 4,194,304
 * @param maxMetadataBytes bytes of entry names, link targets and extended attributes (names and
 *     values) over all entries; default 1 GiB
 */
public record LoadLimits(
    long maxHeaderBytes, long maxEntries, long maxNodes, long maxMetadataBytes) {
  public static final long DEFAULT_MAX_HEADER_BYTES = 1 << 20;
  public static final long DEFAULT_MAX_ENTRIES = 1 << 22;
  public static final long DEFAULT_MAX_NODES = 1 << 22;
  public static final long DEFAULT_MAX_METADATA_BYTES = 1L << 30;

  public LoadLimits {
    check("maxHeaderBytes", maxHeaderBytes, 512, Integer.MAX_VALUE - 8);
    check("maxEntries", maxEntries, 1, Long.MAX_VALUE);
    check("maxNodes", maxNodes, 1, Integer.MAX_VALUE);
    check("maxMetadataBytes", maxMetadataBytes, 1, Long.MAX_VALUE);
  }

  private static void check(String name, long value, long min, long max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          "LoadLimits." + name + " must be within " + min + ".." + max + ", got " + value);
    }
  }

  public static LoadLimits defaults() {
    return new LoadLimits(
        DEFAULT_MAX_HEADER_BYTES,
        DEFAULT_MAX_ENTRIES,
        DEFAULT_MAX_NODES,
        DEFAULT_MAX_METADATA_BYTES);
  }

  public LoadLimits withMaxHeaderBytes(ByteSize size) {
    return new LoadLimits(size.bytes(), maxEntries, maxNodes, maxMetadataBytes);
  }

  public LoadLimits withMaxEntries(long n) {
    return new LoadLimits(maxHeaderBytes, n, maxNodes, maxMetadataBytes);
  }

  public LoadLimits withMaxNodes(long n) {
    return new LoadLimits(maxHeaderBytes, maxEntries, n, maxMetadataBytes);
  }

  public LoadLimits withMaxMetadataBytes(ByteSize size) {
    return new LoadLimits(maxHeaderBytes, maxEntries, maxNodes, size.bytes());
  }
}
