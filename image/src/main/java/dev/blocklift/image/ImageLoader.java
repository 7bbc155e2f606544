package dev.blocklift.image;

import dev.blocklift.core.Platform;
import dev.blocklift.image.layer.LayerApplier;
import dev.blocklift.image.layer.LayerReader;
import dev.blocklift.image.tree.Attributes;
import dev.blocklift.image.tree.Births;
import dev.blocklift.image.tree.DirectoryNode;
import dev.blocklift.image.tree.FlattenedTree;
import dev.blocklift.image.tree.LayerFiles;
import java.io.FilterInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Resolves an image and applies its layers, bottom first, into one {@link FlattenedTree} (see
 * {@link LayerApplier} for the rules). Each layer is streamed once, decompressed and verified (blob
 * digest, size, diff_id) on the way; file bytes are not kept, only where they are ({@link
 * dev.blocklift.image.tree.ContentRef}), and handed to an optional {@link FileDataSink} as they
 * stream. The returned {@link LoadedImage#content()} re-reads layers from the same source, so keep
 * the source open while using it.
 */
public final class ImageLoader {
  private ImageLoader() {}

  public static LoadedImage load(ImageSource source, Platform platform, LoadListener listener)
      throws IOException {
    return load(source, platform, listener, FileDataSink.NONE);
  }

  /**
   * Loads the image and hands every regular-file entry's bytes to {@code sink} as the layer streams
   * (one pass over each layer).
   */
  public static LoadedImage load(
      ImageSource source, Platform platform, LoadListener listener, FileDataSink sink)
      throws IOException {
    return load(source, platform, listener, sink, LoadLimits.defaults());
  }

  /**
   * Loads the image within {@code limits} (header records, entries, nodes, metadata bytes; beyond
   * them a {@link LimitExceededException}) and hands every regular-file entry's bytes to {@code
   * sink} as the layer streams.
   */
  public static LoadedImage load(
      ImageSource source,
      Platform platform,
      LoadListener listener,
      FileDataSink sink,
      LoadLimits limits)
      throws IOException {
    ResolvedImage resolved = source.resolve(platform);
    ImageConfig config = ImageConfig.parse(resolved.configJson());
    long created = Math.max(0, config.createdSeconds());
    // umoci leaves an untouched rootfs root at mode 0755, owner 0:0, mtime 0; so do we.
    DirectoryNode root = new DirectoryNode(Attributes.of(0755, 0, 0, 0));
    Births births = new Births();
    LayerApplier applier = new LayerApplier(root, created, listener::warning, births, limits);
    List<LayerFiles> layerFiles = new ArrayList<>();
    List<Descriptor> layers = resolved.layers();
    for (int i = 0; i < layers.size(); i++) {
      int layerIndex = i;
      Descriptor d = layers.get(i);
      listener.layerStarted(i, layers.size(), d);
      applier.startLayer(i);
      List<LayerFiles.Entry> files = new ArrayList<>();
      long[] stats =
          LayerReader.read(
              source,
              i,
              d,
              resolved.diffIds().get(i),
              n -> listener.bytesRead(layerIndex, n),
              (entryIndex, header, reader) -> {
                applier.apply(header, entryIndex);
                if (header.hasFileData()) {
                  files.add(new LayerFiles.Entry(entryIndex, header.size()));
                  sink.file(
                      layerIndex,
                      entryIndex,
                      header.size(),
                      new FilterInputStream(reader.data()) {
                        @Override
                        public void close() {}
                      });
                }
              },
              limits);
      layerFiles.add(new LayerFiles(i, files));
      listener.layerFinished(i, stats[0], stats[1]);
    }
    FlattenedTree tree =
        new FlattenedTree(resolved.manifestDigest(), created, root, layerFiles, births);
    return new LoadedImage(
        resolved, config, tree, new SourceLayerContent(source, resolved, limits));
  }
}
