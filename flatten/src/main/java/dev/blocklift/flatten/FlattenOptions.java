package dev.blocklift.flatten;

import dev.blocklift.core.ByteSize;

/**
 * Policy knobs of a flatten.
 *
 * @param minimumDeviceSize the smallest device to write; the writer still picks a size class (a
 *     power of two from 64 MiB) that fits the image, at least this large
 * @param scrubDeleted zero the data of files an upper layer deleted or replaced. By default their
 *     bytes stay in the (free) blocks where the lower layer put them: anyone with the raw device
 *     can read them (they are in the lower layer's tarball anyway), and the base image's data
 *     chunks stay identical, which is what dedup wants. Scrubbing trades that dedup for privacy.
 */
public record FlattenOptions(ByteSize minimumDeviceSize, boolean scrubDeleted) {
  public FlattenOptions {
    if (minimumDeviceSize.bytes() > (1L << Geometry.MAX_LOG2)) {
      throw new IllegalArgumentException(
          "minimum device size " + minimumDeviceSize + " is above the 2 TiB limit");
    }
  }

  /** Options with the given minimum size that keep deleted files' bytes (the default). */
  public FlattenOptions(ByteSize minimumDeviceSize) {
    this(minimumDeviceSize, false);
  }

  public static FlattenOptions defaults() {
    return new FlattenOptions(ByteSize.ofMiB(64), false);
  }

  /** These options with {@link #scrubDeleted} set as given. */
  public FlattenOptions withScrubDeleted(boolean scrub) {
    return new FlattenOptions(minimumDeviceSize, scrub);
  }
}
