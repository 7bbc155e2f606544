package dev.blocklift.flatten;

import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.Failures;
import dev.blocklift.core.Platform;
import dev.blocklift.core.Sha256;
import dev.blocklift.image.ImageLoader;
import dev.blocklift.image.ImageSource;
import dev.blocklift.image.LoadListener;
import dev.blocklift.image.LoadedImage;
import dev.blocklift.image.tree.DirectoryNode;
import dev.blocklift.image.tree.FileNode;
import dev.blocklift.image.tree.FlattenedTree;
import dev.blocklift.image.tree.LayerContent;
import dev.blocklift.image.tree.LayerFiles;
import dev.blocklift.image.tree.Node;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.function.LongSupplier;

/**
 * Writes an image's tree as one sparse ext4 filesystem image, deterministically and laid out for
 * block-level dedup.
 *
 * <p>Design. One pass over the layers, bounded memory, no clock and no randomness:
 *
 * <ol>
 *   <li>While {@link ImageLoader} reads each layer once (decompressing and verifying it) to build
 *       the tree, {@link DataWriter} writes every regular-file entry's bytes at its final position:
 *       {@link DataLayout} places data from the layers' tar order alone, so a position is known the
 *       moment its entry streams by. Entries that an upper layer deletes or replaces are written
 *       too and end up in free blocks (zeroed afterwards with {@link FlattenOptions#scrubDeleted}).
 *   <li>With the tree known: number inodes ({@link InodeCatalog}, by birth layer), plan
 *       directories, extent leaves, slow symlinks and xattr blocks ({@link MetadataPlan}), pick the
 *       smallest size class that fits ({@link Geometry}), copy the data of the rare second inode of
 *       one entry from the output itself, and size the file.
 *   <li>Write all metadata ({@link Ext4Writer}): inode tables, directories, bitmaps, group
 *       descriptors, superblock. It sits at the end of the device, apart from the data.
 * </ol>
 *
 * A tree with a {@link LayerContent} (built by hand, or loaded earlier) takes the same path, with
 * the data streamed from the content instead of during the load. The UUID and directory hash seed
 * are SHA-256 of a domain string and the image digest; filesystem times come from the image's
 * creation time. Output goes to a temporary sibling file renamed into place, so a failed flatten
 * leaves nothing.
 */
public final class Flattener {
  private final LongSupplier nanoTime;

  /** An image loaded and flattened in one pass. */
  public record Flattened(LoadedImage image, FlattenResult result) {}

  public Flattener() {
    this(System::nanoTime);
  }

  /**
   * @param nanoTime the monotonic time source used only for the elapsed-time statistic
   */
  public Flattener(LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
  }

  /**
   * Loads the image of {@code platform} from {@code source} and writes it to {@code output},
   * reading each layer once. The source stays open (the caller closes it).
   */
  public Flattened flatten(
      ImageSource source,
      Platform platform,
      Path output,
      FlattenOptions options,
      LoadListener loadListener,
      FlattenListener listener)
      throws IOException {
    long t0 = nanoTime.getAsLong();
    LoadedImage[] loaded = {null};
    FlattenResult r;
    try {
      r =
          write(
              output,
              (channel, writer) -> {
                loaded[0] =
                    ImageLoader.load(source, platform, loadListener, writer, options.loadLimits());
                return loaded[0].tree();
              },
              options,
              listener,
              t0);
    } catch (IllegalArgumentException e) {
      // The tree came from an image: what ext4 cannot hold (an xattr outside its namespaces, say)
      // is a property of the image, not a misuse of this class.
      throw new BlockliftException(
          source.describe() + " cannot be written as ext4: " + Failures.describe(e), e);
    }
    return new Flattened(loaded[0], r);
  }

  /** Writes a tree whose file data {@code content} delivers (each layer streamed once). */
  public FlattenResult flatten(
      FlattenedTree tree,
      LayerContent content,
      Path output,
      FlattenOptions options,
      FlattenListener listener)
      throws IOException {
    long t0 = nanoTime.getAsLong();
    // Plan first, so a tree that does not match its layer lists fails before any data is read.
    Plan.of(tree, options);
    return write(
        output,
        (channel, writer) -> {
          for (LayerFiles layer : tree.layers()) {
            streamChecked(layer, content, writer);
          }
          return tree;
        },
        options,
        listener,
        t0);
  }

  /** Produces the tree while writing file data through the writer. */
  @FunctionalInterface
  private interface DataPass {
    FlattenedTree run(FileChannel channel, DataWriter writer) throws IOException;
  }

  private FlattenResult write(
      Path output, DataPass pass, FlattenOptions options, FlattenListener listener, long t0)
      throws IOException {
    Path absolute = output.toAbsolutePath();
    Path dir = absolute.getParent();
    if (dir != null) {
      Files.createDirectories(dir);
    }
    Path temp = absolute.resolveSibling("." + absolute.getFileName() + ".blocklift-partial");
    boolean done = false;
    FlattenedTree tree;
    Plan p;
    try {
      try (RandomAccessFile file = new RandomAccessFile(temp.toFile(), "rw")) {
        file.setLength(0);
        FileChannel channel = file.getChannel();
        listener.outputOpened(temp);
        DataWriter writer =
            new DataWriter(
                channel,
                options.scrubDeleted() ? withoutDataFinal(listener) : listener,
                options.maxDeviceSize().bytes());
        tree = pass.run(channel, writer);
        p = Plan.of(tree, options);
        if (writer.layersEnd() != p.layout.layersEnd()) {
          throw new IllegalStateException(
              "data written up to block "
                  + writer.layersEnd()
                  + " but planned up to "
                  + p.layout.layersEnd());
        }
        listener.planned(p.layout.dataBytes(), tree.layers().size(), p.g.deviceBytes());
        file.setLength(p.g.deviceBytes());
        long[] copies = p.layout.copies();
        for (int i = 0; i < copies.length; i += 2) {
          int ino = (int) copies[i];
          long size = ((FileNode) p.catalog.node(ino)).size();
          writer.copyWithin(copies[i + 1], p.layout.start(ino), size);
        }
        if (options.scrubDeleted()) {
          long[] dead = p.layout.deadRanges();
          for (int i = 0; i < dead.length; i += 2) {
            writer.zero(dead[i], dead[i + 1]);
          }
        }
        listener.writingMetadata();
        new Ext4Writer(
                channel,
                p.g,
                p.catalog,
                p.layout,
                p.metadata,
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
    return result(absolute, tree, p, Duration.ofNanos(nanoTime.getAsLong() - t0));
  }

  /** {@code listener} without {@link FlattenListener#dataFinal} (scrubbing rewrites data). */
  private static FlattenListener withoutDataFinal(FlattenListener listener) {
    return new FlattenListener() {
      @Override
      public void planned(long dataBytes, int layers, long deviceBytes) {
        listener.planned(dataBytes, layers, deviceBytes);
      }

      @Override
      public void layerStarted(int layerIndex) {
        listener.layerStarted(layerIndex);
      }

      @Override
      public void dataWritten(long bytes) {
        listener.dataWritten(bytes);
      }

      @Override
      public void writingMetadata() {
        listener.writingMetadata();
      }
    };
  }

  /** Streams one layer from {@code content}, checking it delivers exactly its file list. */
  private static void streamChecked(LayerFiles layer, LayerContent content, DataWriter writer)
      throws IOException {
    int index = layer.layerIndex();
    int[] delivered = {0};
    content.forEachFile(
        index,
        (entryIndex, size, in) -> {
          int i = delivered[0];
          LayerFiles.Entry want = i < layer.files().size() ? layer.files().get(i) : null;
          if (want == null || want.entryIndex() != entryIndex || want.size() != size) {
            throw new dev.blocklift.core.CorruptDataException(
                "layer "
                    + index
                    + " delivered entry "
                    + entryIndex
                    + " ("
                    + size
                    + " bytes), its file list expects "
                    + (want == null
                        ? "no more entries"
                        : "entry " + want.entryIndex() + " (" + want.size() + " bytes)"));
          }
          writer.file(index, entryIndex, size, in);
          delivered[0]++;
        });
    if (delivered[0] != layer.files().size()) {
      throw new dev.blocklift.core.CorruptDataException(
          "layer "
              + index
              + " delivered "
              + delivered[0]
              + " of the "
              + layer.files().size()
              + " files its file list has");
    }
  }

  /** Everything decided from the tree: inode numbers, data positions, metadata, size class. */
  private record Plan(InodeCatalog catalog, DataLayout layout, MetadataPlan metadata, Geometry g) {
    static Plan of(FlattenedTree tree, FlattenOptions options) {
      // Preferred: birth numbering with chunk-aligned layer ranges, then unaligned, then compact;
      // dead slots and alignment must never push the image into a larger size class.
      InodeCatalog compact = InodeCatalog.compact(tree.root());
      for (boolean aligned : new boolean[] {true, false}) {
        InodeCatalog byBirth = InodeCatalog.byBirth(tree.root(), tree.births(), aligned);
        if (byBirth == null) {
          break;
        }
        Plan p = of(byBirth, tree, options);
        Geometry smaller =
            Geometry.choose(
                options.minimumDeviceSize().bytes(),
                options.maxDeviceSize().bytes(),
                p.layout.dataEnd(),
                p.metadata.regionNeeded(),
                compact.maxInode());
        if (smaller.deviceBytes() >= p.g.deviceBytes()) {
          return p;
        }
      }
      return of(compact, tree, options);
    }

    private static Plan of(InodeCatalog catalog, FlattenedTree tree, FlattenOptions options) {
      DataLayout layout = DataLayout.plan(catalog, tree.layers());
      MetadataPlan metadata = MetadataPlan.plan(catalog);
      Geometry g =
          Geometry.choose(
              options.minimumDeviceSize().bytes(),
              options.maxDeviceSize().bytes(),
              layout.dataEnd(),
              metadata.regionNeeded(),
              catalog.maxInode());
      return new Plan(catalog, layout, metadata, g);
    }
  }

  private static FlattenResult result(Path absolute, FlattenedTree tree, Plan p, Duration elapsed) {
    long files = 0;
    long dirs = 0;
    long other = 0;
    long links = 0;
    InodeCatalog catalog = p.catalog;
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
        p.layout.dataBytes(),
        tree.layers().size(),
        p.g.deviceBytes(),
        (p.layout.dataEnd() - Geometry.DATA_START) * Geometry.BLOCK_SIZE,
        p.metadata.usedBlocks(),
        elapsed);
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
