package dev.blocklift.cli;

import dev.blocklift.chunk.ChunkSize;
import dev.blocklift.chunk.Compression;
import dev.blocklift.chunk.KeyService;
import dev.blocklift.convert.ConvertListener;
import dev.blocklift.convert.ConvertOptions;
import dev.blocklift.convert.ConvertResult;
import dev.blocklift.convert.ConvertStats;
import dev.blocklift.convert.Converter;
import dev.blocklift.core.ByteSize;
import dev.blocklift.core.ImageName;
import dev.blocklift.core.ImageRef;
import dev.blocklift.core.Platform;
import dev.blocklift.image.ImageSource;
import dev.blocklift.store.Store;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code blocklift convert IMAGE --name NAME[:TAG]}: flatten, chunk, encrypt, upload, publish. */
@Command(
    name = "convert",
    mixinStandardHelpOptions = true,
    description = {
      "Convert an image into encrypted, deduplicated chunks in a store and publish its manifest.",
      "Only chunks the store lacks are uploaded; the manifest is published last, atomically."
    })
public final class ConvertCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "IMAGE",
      description = "oci:DIR[:TAG], docker-archive:FILE or docker://HOST/REPO:TAG")
  String image;

  @Option(
      names = "--name",
      required = true,
      paramLabel = "NAME[:TAG]",
      description = "Name to publish the image under (tag latest by default).")
  String name;

  @Option(
      names = "--chunk-size",
      paramLabel = "SIZE",
      defaultValue = "512KiB",
      description = "Chunk size, a power of two from 64KiB to 4MiB (default: ${DEFAULT-VALUE}).")
  String chunkSize;

  @Option(
      names = "--compress",
      paramLabel = "zstd|none",
      defaultValue = "zstd",
      description =
          "Compress chunks with zstd before encrypting them, or not (default: ${DEFAULT-VALUE}).")
  String compress;

  @Option(
      names = "--platform",
      paramLabel = "OS/ARCH[/VARIANT]",
      defaultValue = "linux/amd64",
      description = "Platform to pick from a multi-platform image (default: ${DEFAULT-VALUE}).")
  String platform;

  @Option(
      names = "--uploads",
      paramLabel = "N",
      defaultValue = "16",
      description = "Uploads in flight at once (default: ${DEFAULT-VALUE}).")
  int uploads;

  @Option(names = "--json", description = "Print statistics as JSON.")
  boolean json;

  @Mixin HomeOptions options;
  @Mixin RegistryOptions registry;

  @Override
  public Integer call() throws Exception {
    ImageRef ref = ImageRef.parse(image);
    ImageName imageName = ImageName.parse(name);
    ChunkSize size = ChunkSize.parse(chunkSize);
    Compression compression = Compression.parse(compress);
    Platform p = Platform.parse(platform);
    if (uploads < 1) {
      throw new IllegalArgumentException("--uploads must be at least 1, got " + uploads);
    }
    WorkerConfig config = options.config();
    int cores = Runtime.getRuntime().availableProcessors();
    ConvertOptions o =
        ConvertOptions.of(imageName, config.tenant())
            .withChunkSize(size)
            .withCompression(compression)
            .withConcurrency(cores, uploads, 2 * cores);
    Home home = config.home();
    boolean bars = !json && ConvertProgress.onTerminal();
    ConvertResult r;
    try (Store store = ReadPath.store(config);
        KeyService keys = ReadPath.keys(config);
        ImageSource source = ImageSourceOpener.open(ref, registry);
        ConvertProgress progress = bars ? new ConvertProgress() : null) {
      Converter c =
          new Converter(store, keys, home.secret(), home.roots(), home.tmp(), System::nanoTime);
      r = c.convert(source, p, o, progress != null ? progress : ConvertListener.NONE);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", r.name().toString());
      m.put("manifest", r.manifestDigest().toString());
      m.put("image", r.imageDigest().toString());
      m.put("saltRoot", r.saltRootId());
      m.putAll(r.stats().toMap());
      out.println(StoreJson.write(m));
    } else {
      out.println(describe(r));
    }
    out.flush();
    return 0;
  }

  static String describe(ConvertResult r) {
    ConvertStats s = r.stats();
    return String.format(
        Locale.ROOT,
        "published %s (manifest %s)%n"
            + "  chunks %d: %d holes, %d new, %d already present, %d duplicates%n"
            + "  data %s stored as %s (%.0f%%; %s, %d chunks compressed)%n"
            + "  uploaded %s of %s device in %.1f s (flatten %.1f s) = %.1f MB/s",
        r.name(),
        r.manifestDigest().shortHex(),
        s.chunks(),
        s.holes(),
        s.newChunks(),
        s.presentChunks(),
        s.duplicateChunks(),
        ByteSize.format(s.dataBytes()),
        ByteSize.format(s.storedBytes()),
        s.storedRatio() * 100,
        s.compression(),
        s.compressedChunks(),
        ByteSize.format(s.bytesUploaded()),
        ByteSize.format(s.deviceBytes()),
        s.total().toMillis() / 1000.0,
        s.flatten().toMillis() / 1000.0,
        s.megabytesPerSecond());
  }
}
