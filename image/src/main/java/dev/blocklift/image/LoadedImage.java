package dev.blocklift.image;

import dev.blocklift.image.tree.FlattenedTree;
import dev.blocklift.image.tree.LayerContent;

/**
 * An image whose layers were applied into one tree: the resolved manifest, the parsed config, the
 * tree (metadata only) and a way to stream file contents back out of the layers.
 */
public record LoadedImage(
    ResolvedImage resolved, ImageConfig config, FlattenedTree tree, LayerContent content) {}
