package dev.blocklift.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.blocklift.core.ByteSize;
import dev.blocklift.core.ImageRef;
import dev.blocklift.core.Platform;
import dev.blocklift.flatten.FlattenListener;
import dev.blocklift.flatten.FlattenOptions;
import dev.blocklift.flatten.FlattenResult;
import dev.blocklift.flatten.Flattener;
import dev.blocklift.image.Descriptor;
import dev.blocklift.image.ImageSource;
import dev.blocklift.image.LoadListener;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code blocklift flatten IMAGE -o FILE}: an image's root filesystem as one ext4 image file. */
@Command(
    name = "flatten",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description =
        "Apply an image's layers and write its root filesystem as one sparse, deterministic ext4"
            + " image file.")
public final class FlattenCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "IMAGE",
      description = "oci:DIR[:TAG], docker-archive:FILE or docker://HOST/REPO[:TAG|@DIGEST]")
  String image;

  @Option(
      names = {"-o", "--output"},
      required = true,
      paramLabel = "FILE",
      description = "The ext4 image file to write (replaced if it exists).")
  Path output;

  @Option(
      names = "--platform",
      paramLabel = "OS/ARCH[/VARIANT]",
      defaultValue = "linux/amd64",
      description = "Which image of a multi-platform index (default: ${DEFAULT-VALUE}).")
  String platform;

  @Option(names = "--json", description = "Print statistics as JSON instead of text.")
  boolean json;

  @Option(
      names = "--scrub-deleted",
      description =
          "Zero the bytes of files an upper layer deleted or replaced. By default they stay in free"
              + " blocks (they are in the lower layer anyway), which keeps the base image's chunks"
              + " shared; scrubbing trades that dedup for privacy of the raw device.")
  boolean scrubDeleted;

  @Mixin RegistryOptions registry;

  @Override
  public Integer call() throws Exception {
    ImageRef ref = ImageRef.parse(image);
    Platform p = Platform.parse(platform);
    PrintWriter out = spec.commandLine().getOut();
    boolean terminal =
        java.util.Optional.ofNullable(System.console())
            .map(java.io.Console::isTerminal)
            .orElse(false);
    FlattenResult r =
        run(
            ref,
            p,
            output,
            !json && terminal,
            registry,
            FlattenOptions.defaults().withScrubDeleted(scrubDeleted));
    if (json) {
      out.println(toJson(r));
    } else {
      out.println(describe(r));
    }
    out.flush();
    return 0;
  }

  /** Loads and flattens, with progress bars on a terminal. Used by the demo too. */
  static FlattenResult run(ImageRef ref, Platform platform, Path output, boolean bars)
      throws Exception {
    return run(ref, platform, output, bars, null, FlattenOptions.defaults());
  }

  static FlattenResult run(
      ImageRef ref,
      Platform platform,
      Path output,
      boolean bars,
      RegistryOptions registry,
      FlattenOptions options)
      throws Exception {
    try (ImageSource source =
        registry != null ? ImageSourceOpener.open(ref, registry) : openDefault(ref)) {
      // One pass: each layer is read once; the bar follows the compressed bytes read.
      long total =
          bars ? source.resolve(platform).layers().stream().mapToLong(Descriptor::size).sum() : 1;
      try (ProgressBar bar = bars ? bar("flatten", Math.max(1, total), "MiB", 1 << 20) : null) {
        LoadListener listener =
            bar == null
                ? LoadListener.NONE
                : new LoadListener() {
                  @Override
                  public void bytesRead(int layerIndex, long compressedBytes) {
                    bar.stepBy(compressedBytes);
                  }
                };
        return new Flattener()
            .flatten(source, platform, output, options, listener, FlattenListener.NONE)
            .result();
      }
    }
  }

  private static ImageSource openDefault(ImageRef ref) throws java.io.IOException {
    if (ref instanceof ImageRef.Registry) {
      return ImageSourceOpener.open(ref, new RegistryOptions());
    }
    return dev.blocklift.image.ImageSources.open(ref);
  }

  private static ProgressBar bar(String task, long max, String unit, long unitSize) {
    return new ProgressBarBuilder()
        .setTaskName(task)
        .setInitialMax(max)
        .setUnit(" " + unit, unitSize)
        .setStyle(ProgressBarStyle.ASCII)
        .continuousUpdate()
        .build();
  }

  static String toJson(FlattenResult r) {
    ObjectMapper m = new ObjectMapper();
    ObjectNode n = m.createObjectNode();
    n.put("output", r.output().toString());
    n.put("files", r.files());
    n.put("directories", r.directories());
    n.put("otherNodes", r.otherNodes());
    n.put("hardLinks", r.hardLinks());
    n.put("bytes", r.dataBytes());
    n.put("layers", r.layers());
    n.put("deviceBytes", r.deviceBytes());
    n.put("dataRegionBytes", r.dataRegionBytes());
    n.put("metadataBlocks", r.metadataBlocks());
    n.put("timeMillis", r.elapsed().toMillis());
    return n.toString();
  }

  static String describe(FlattenResult r) {
    return String.format(
        Locale.ROOT,
        "wrote %s: %d files, %d directories, %d other nodes, %d extra hard links,"
            + " %s of file data from %d layers; device %s (data region %s) in %.2f s",
        r.output(),
        r.files(),
        r.directories(),
        r.otherNodes(),
        r.hardLinks(),
        ByteSize.format(r.dataBytes()),
        r.layers(),
        ByteSize.format(r.deviceBytes()),
        ByteSize.format(r.dataRegionBytes()),
        r.elapsed().toNanos() / 1e9);
  }
}
