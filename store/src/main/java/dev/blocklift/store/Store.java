package dev.blocklift.store;

import java.io.IOException;

/**
 * An opened store: its chunks and its published manifests, which always live side by side (the same
 * directory, the same bucket and prefix). Closing it closes both.
 *
 * @param uri the URI it was opened from, without secrets, for messages
 */
public record Store(String uri, ChunkStore chunks, ManifestStore manifests)
    implements AutoCloseable {
  @Override
  public void close() throws IOException {
    try (ManifestStore m = manifests) {
      chunks.close();
    }
  }
}
