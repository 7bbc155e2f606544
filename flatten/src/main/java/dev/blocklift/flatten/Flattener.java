package dev.blocklift.flatten;

import dev.blocklift.core.Sha256;
import dev.blocklift.image.tree.DirectoryNode;
import dev.blocklift.image.tree.FileNode;
import dev.blocklift.image.tree.FlattenedTree;
import dev.blocklift.image.tree.LayerContent;
import dev.blocklift.image.tree.Node;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * Writes a {@link FlattenedTree} as one sparse ext4 filesystem image, deterministically and laid
 * out for block-level dedup.
 *
 * <p>Design. Two passes over the input, bounded memory, no clock and no randomness:
 *
 * <ol>
 *   <li>Plan from metadata only: number inodes ({@link InodeCatalog}), place every layer's file
 *       data ({@link DataLayout}), size directories, extent leaves, slow symlinks and xattr blocks
 *       ({@link MetadataPlan}), then pick the smallest size class that fits ({@link Geometry}).
 *   <li>Stream each layer once and write surviving files' bytes at their planned blocks ({@link
 *       DataStreamer}); file data is never held in memory.
 *   <li>Write all metadata ({@link Ext4Writer}): inode tables, directories, bitmaps, group
 *       descriptors, superblock.
 * </ol>
 *
 * The UUID and directory hash seed are SHA-256 of a domain string and the image digest; filesystem
 * times come from the image's creation time. The same tree and layer contents give the same bytes.
 * Output goes to a temporary sibling file renamed into place, so a failed flatten leaves nothing.
 */
public final class Flattener {
  private final LongSupplier nanoTime;

  public Flattener() {
    this(System::nanoTime);
  }

  /**
   * @param nanoTime the monotonic time source used only for the elapsed-time statistic
   */
  public Flattener(LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
  }

  public FlattenResult flatten(
      FlattenedTree tree,
      LayerContent content,
      Path output,
      FlattenOptions options,
      FlattenListener listener)
      throws IOException {
    long t0 = nanoTime.getAsLong();
    InodeCatalog catalog = InodeCatalog.number(tree.root());
    DataLayout layout = DataLayout.plan(catalog, tree.layers());
    MetadataPlan plan = MetadataPlan.plan(catalog);
    Geometry g =
        Geometry.choose(
            options.minimumDeviceSize().bytes(),
            layout.dataEnd(),
            plan.usedBlocks(),
            catalog.maxInode());
    listener.planned(layout.dataBytes(), tree.layers().size(), g.deviceBytes());

    Path absolute = output.toAbsolutePath();
    Path dir = absolute.getParent();
    if (dir != null) {
      Files.createDirectories(dir);
    }
    Path temp = absolute.resolveSibling("." + absolute.getFileName() + ".blocklift-partial");
    boolean done = false;
    try {
      try (RandomAccessFile file = new RandomAccessFile(temp.toFile(), "rw")) {
        file.setLength(0);
        file.setLength(g.deviceBytes());
        var channel = file.getChannel();
        new DataStreamer(channel, catalog, layout, listener).stream(tree.layers(), content);
        listener.writingMetadata();
        new Ext4Writer(
                channel,
                g,
                catalog,
                layout,
                plan,
                derive("uuid", tree, true),
                derive("hash-seed", tree, false),
                tree.createdSeconds())
            .write();
        channel.force(true);
      }
      Files.move(
          temp, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      done = true;
    } finally {
      if (!done) {
        Files.deleteIfExists(temp);
      }
    }
    long files = 0;
    long dirs = 0;
    long other = 0;
    long links = 0;
    for (int ino = InodeCatalog.ROOT; ino <= catalog.maxInode(); ino++) {
      Node n = catalog.node(ino);
      if (n == null) {
        continue;
      }
      switch (n) {
        case DirectoryNode d -> dirs++;
        case FileNode f -> files++;
        default -> other++;
      }
      if (!(n instanceof DirectoryNode)) {
        links += catalog.links(ino) - 1;
      }
    }
    return new FlattenResult(
        absolute,
        files,
        dirs,
        other,
        links,
        layout.dataBytes(),
        tree.layers().size(),
        g.deviceBytes(),
        (layout.dataEnd() - Geometry.DATA_START) * Geometry.BLOCK_SIZE,
        plan.usedBlocks(),
        Duration.ofNanos(nanoTime.getAsLong() - t0));
  }

  /** 16 bytes from SHA-256("blocklift ext4 " + purpose + " " + digest); a UUID gets v4 bits. */
  static byte[] derive(String purpose, FlattenedTree tree, boolean uuid) {
    byte[] h =
        Sha256.hash(
            ("blocklift ext4 " + purpose + " " + tree.imageDigest())
                .getBytes(StandardCharsets.UTF_8));
    byte[] out = Arrays.copyOf(h, 16);
    if (uuid) {
      out[6] = (byte) ((out[6] & 0x0F) | 0x40);
      out[8] = (byte) ((out[8] & 0x3F) | 0x80);
    }
    return out;
  }
}
