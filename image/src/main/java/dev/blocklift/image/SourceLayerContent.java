package dev.blocklift.image;

import dev.blocklift.image.layer.LayerReader;
import dev.blocklift.image.tree.LayerContent;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * {@link LayerContent} over an {@link ImageSource}: each call re-opens the layer blob, decompresses
 * it, and hands every regular-file entry with data to the visitor as a stream bounded to the entry
 * (closing it is harmless; what the visitor leaves unread is skipped). The digests are verified
 * again as the layer streams, and a mismatch throws at the end.
 */
final class SourceLayerContent implements LayerContent {
  private final ImageSource source;
  private final ResolvedImage resolved;
  private final LoadLimits limits;

  SourceLayerContent(ImageSource source, ResolvedImage resolved, LoadLimits limits) {
    this.source = source;
    this.resolved = resolved;
    this.limits = limits;
  }

  @Override
  public void forEachFile(int layerIndex, FileVisitor visitor) throws IOException {
    if (layerIndex < 0 || layerIndex >= resolved.layers().size()) {
      throw new IllegalArgumentException(
          "layer index " + layerIndex + " out of range 0.." + (resolved.layers().size() - 1));
    }
    LayerReader.read(
        source,
        layerIndex,
        resolved.layers().get(layerIndex),
        resolved.diffIds().get(layerIndex),
        n -> {},
        (entryIndex, header, reader) -> {
          if (!header.hasFileData()) {
            return;
          }
          InputStream data = reader.data();
          visitor.visit(
              entryIndex,
              header.size(),
              new FilterInputStream(data) {
                @Override
                public void close() {}
              });
        },
        limits);
  }
}
