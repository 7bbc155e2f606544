package dev.blocklift.image;

import dev.blocklift.core.Platform;
import java.io.IOException;
import java.io.InputStream;

/**
 * Where an image's manifest, config and layer blobs come from: an OCI layout directory, a
 * docker-archive tarball, a registry. Implementations resolve indexes to one platform and open raw
 * (still compressed) blobs; verification of blob digests and diff_ids is done once, by the layer
 * reader, for every source alike.
 */
public interface ImageSource extends AutoCloseable {
  /** Resolves the image for {@code platform} (indexes and manifest lists are followed). */
  ResolvedImage resolve(Platform platform) throws IOException;

  /** Opens a blob's raw bytes as stored (compressed layers stay compressed). */
  InputStream openBlob(Descriptor blob) throws IOException;

  /** A description for messages, e.g. {@code oci:/tmp/layout:latest}. */
  String describe();

  @Override
  default void close() throws IOException {}
}
