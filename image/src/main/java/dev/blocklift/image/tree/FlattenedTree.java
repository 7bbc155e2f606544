package dev.blocklift.image.tree;

import dev.blocklift.core.Digest;
import java.util.List;

/**
 * The result of applying all layers: the final tree (metadata only), per layer the list of file
 * entries that carry data, and the birth of every node. Bytes are written as the layers stream (see
 * {@code ImageLoader}'s data sink) or streamed again via {@link LayerContent}.
 *
 * @param imageDigest the digest of the image manifest, the seed of everything derived (UUID, hash
 *     seed)
 * @param createdSeconds the image's creation time (config {@code created}), or 0: the one timestamp
 *     the writer may use for filesystem-level times, never the wall clock
 * @param births which layer created each node; empty ({@code new Births()}) for a tree built by
 *     hand, in which case a writer numbers inodes without it
 */
public record FlattenedTree(
    Digest imageDigest,
    long createdSeconds,
    DirectoryNode root,
    List<LayerFiles> layers,
    Births births) {
  public FlattenedTree {
    layers = List.copyOf(layers);
  }

  /** A tree without birth records (built by hand). */
  public FlattenedTree(
      Digest imageDigest, long createdSeconds, DirectoryNode root, List<LayerFiles> layers) {
    this(imageDigest, createdSeconds, root, layers, new Births());
  }
}
