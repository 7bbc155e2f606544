package dev.blocklift.flatten;

import dev.blocklift.core.ByteSize;

/**
 * Policy knobs of a flatten.
 *
 * @param minimumDeviceSize the smallest device to write; the writer still picks a size class (a
 *     power of two from 64 MiB) that fits the image, at least this large
 */
public record FlattenOptions(ByteSize minimumDeviceSize) {
  public FlattenOptions {
    if (minimumDeviceSize.bytes() > (1L << Geometry.MAX_LOG2)) {
      throw new IllegalArgumentException(
          "minimum device size " + minimumDeviceSize + " is above the 2 TiB limit");
    }
  }

  public static FlattenOptions defaults() {
    return new FlattenOptions(ByteSize.ofMiB(64));
  }
}
