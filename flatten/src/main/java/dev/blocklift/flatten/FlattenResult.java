package dev.blocklift.flatten;

import java.nio.file.Path;
import java.time.Duration;

/**
 * What a flatten wrote.
 *
 * @param files regular-file inodes
 * @param directories directory inodes, the root included
 * @param otherNodes symlinks, devices, fifos and sockets
 * @param hardLinks names beyond the first of non-directory inodes
 * @param dataBytes bytes of file data written (a file shared by hard links counts once)
 * @param layers layers streamed
 * @param deviceBytes size of the filesystem image (its size class)
 * @param dataRegionBytes span of the data region from its start to the end of the last layer, holes
 *     included
 * @param metadataBlocks blocks of variable metadata (directories, extent leaves, symlinks, xattrs)
 * @param elapsed wall time of the flatten
 */
public record FlattenResult(
    Path output,
    long files,
    long directories,
    long otherNodes,
    long hardLinks,
    long dataBytes,
    int layers,
    long deviceBytes,
    long dataRegionBytes,
    long metadataBlocks,
    Duration elapsed) {

  /** Data throughput in MiB/s, or 0 for an instant flatten. */
  public double mebibytesPerSecond() {
    double s = elapsed.toNanos() / 1e9;
    return s <= 0 ? 0 : dataBytes / (1024.0 * 1024.0) / s;
  }
}
