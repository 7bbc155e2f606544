package dev.blocklift.flatten;

import dev.blocklift.core.ByteSize;
import dev.blocklift.image.LoadLimits;

/**
 * Policy knobs of a flatten.
 *
 * @param minimumDeviceSize the smallest device to write; the writer still picks a size class (a
 *     power of two from 64 MiB) that fits the image, at least this large
 * @param scrubDeleted zero the data of files an upper layer deleted or replaced. By default their
 *     bytes stay in the (free) blocks where the lower layer put them: anyone with the raw device
 *     can read them (they are in the lower layer's tarball anyway), and the base image's data
 *     chunks stay identical, which is what dedup wants. Scrubbing trades that dedup for privacy.
 * @param maxDeviceSize the largest device the flatten may write (default {@value
 *     #DEFAULT_MAX_DEVICE_GIB} GiB; ext4 without the 64bit feature stops at 2 TiB): file data that
 *     would reach beyond it fails the moment its tar entry streams by, before its bytes are read
 * @param loadLimits bounds on what the layers can make the loader do (see {@link LoadLimits})
 */
public record FlattenOptions(
    ByteSize minimumDeviceSize,
    boolean scrubDeleted,
    ByteSize maxDeviceSize,
    LoadLimits loadLimits) {
  public static final long DEFAULT_MAX_DEVICE_GIB = 1024;

  public FlattenOptions {
    if (maxDeviceSize.bytes() > (1L << Geometry.MAX_LOG2)) {
      throw new IllegalArgumentException(
          "maximum device size " + maxDeviceSize + " is above the 2 TiB limit of the format");
    }
    if (minimumDeviceSize.bytes() > maxDeviceSize.bytes()) {
      throw new IllegalArgumentException(
          "minimum device size "
              + minimumDeviceSize
              + " is above the maximum device size "
              + maxDeviceSize);
    }
  }

  /** Options with the given minimum size and the defaults otherwise. */
  public FlattenOptions(ByteSize minimumDeviceSize) {
    this(minimumDeviceSize, false, ByteSize.ofGiB(DEFAULT_MAX_DEVICE_GIB), LoadLimits.defaults());
  }

  public static FlattenOptions defaults() {
    return new FlattenOptions(ByteSize.ofMiB(64));
  }

  /** These options with {@link #scrubDeleted} set as given. */
  public FlattenOptions withScrubDeleted(boolean scrub) {
    return new FlattenOptions(minimumDeviceSize, scrub, maxDeviceSize, loadLimits);
  }

  /** These options with {@link #maxDeviceSize} set as given. */
  public FlattenOptions withMaxDeviceSize(ByteSize max) {
    return new FlattenOptions(minimumDeviceSize, scrubDeleted, max, loadLimits);
  }

  /** These options with {@link #loadLimits} set as given. */
  public FlattenOptions withLoadLimits(LoadLimits limits) {
    return new FlattenOptions(minimumDeviceSize, scrubDeleted, maxDeviceSize, limits);
  }
}
