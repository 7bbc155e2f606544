package dev.blocklift.image.tree;

import dev.blocklift.core.Digest;
import java.util.List;

/**
 * The result of applying all layers: the final tree (metadata only) plus, per layer, the list of
 * file entries that carry data. Bytes are streamed from the layers again via {@link LayerContent}.
 *
 * @param imageDigest the digest of the image manifest, the seed of everything derived (UUID, hash
 *     seed)
 * @param createdSeconds the image's creation time (config {@code created}), or 0: the one timestamp
 *     the writer may use for filesystem-level times, never the wall clock
 */
public record FlattenedTree(
    Digest imageDigest, long createdSeconds, DirectoryNode root, List<LayerFiles> layers) {
  public FlattenedTree {
    layers = List.copyOf(layers);
  }
}
