package dev.blocklift.image;

import dev.blocklift.core.Digest;
import java.util.List;

/**
 * One platform's image, resolved from its source: the manifest's digest (the identity every derived
 * value is seeded from), the raw config JSON (already verified against its digest), and the layers
 * bottom-up.
 *
 * @param layers layer descriptors, bottom layer first, with their media types (plain, gzip, zstd)
 * @param diffIds the config's {@code rootfs.diff_ids}: digests of the uncompressed layers
 */
@SuppressWarnings("ArrayRecordComponent") // defensive copies in and out
public record ResolvedImage(
    Digest manifestDigest, byte[] configJson, List<Descriptor> layers, List<Digest> diffIds) {
  public ResolvedImage {
    layers = List.copyOf(layers);
    diffIds = List.copyOf(diffIds);
    configJson = configJson.clone();
  }

  @Override
  public byte[] configJson() {
    return configJson.clone();
  }
}
