package dev.blocklift.convert;

import dev.blocklift.chunk.Chunker;
import dev.blocklift.chunk.KeyService;
import dev.blocklift.chunk.ManifestBuilder;
import dev.blocklift.chunk.Salt;
import dev.blocklift.chunk.SaltRoot;
import dev.blocklift.chunk.SaltRoots;
import dev.blocklift.chunk.ServiceSecret;
import dev.blocklift.core.Digest;
import dev.blocklift.core.ImageRef;
import dev.blocklift.core.Platform;
import dev.blocklift.flatten.FlattenListener;
import dev.blocklift.flatten.FlattenOptions;
import dev.blocklift.flatten.Flattener;
import dev.blocklift.image.Descriptor;
import dev.blocklift.image.ImageSource;
import dev.blocklift.image.ImageSources;
import dev.blocklift.image.LoadListener;
import dev.blocklift.image.LoadedImage;
import dev.blocklift.store.Store;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;

/**
 * {@code blocklift convert}: load an image, flatten it to a sparse ext4 file in a scratch
 * directory, then chunk, compress and encrypt ({@link ConvertOptions#compression()}), and upload
 * only what the store lacks ({@link ChunkPipeline}), seal the manifest for the tenant and publish
 * it — last, after every chunk is stored, so no reader ever sees a manifest whose chunks are not
 * all present. A conversion killed at any point leaves only chunks (content-addressed, harmless,
 * collected by gc if never referenced) and a scratch file; running it again uploads only what is
 * missing.
 */
public final class Converter {
  private final Store store;
  private final KeyService keys;
  private final ServiceSecret secret;
  private final SaltRoots roots;
  private final Path scratchDir;
  private final LongSupplier nanoTime;

  /**
   * @param scratchDir where the flattened device is written (deleted after the conversion)
   * @param nanoTime monotonic time, for the statistics only
   */
  public Converter(
      Store store,
      KeyService keys,
      ServiceSecret secret,
      SaltRoots roots,
      Path scratchDir,
      LongSupplier nanoTime) {
    this.store = store;
    this.keys = keys;
    this.secret = secret;
    this.roots = roots;
    this.scratchDir = scratchDir;
    this.nanoTime = nanoTime;
  }

  /**
   * The tag sequence of a new manifest under {@code options.name()}: larger than the one it
   * replaces, and than the clock's milliseconds (so that a name removed and converted again still
   * moves forward for readers that remember the old sequence).
   */
  private long nextSequence(ConvertOptions options) throws IOException {
    long next = Math.max(dev.blocklift.chunk.Manifest.FIRST_SEQUENCE, System.currentTimeMillis());
    Optional<byte[]> previous = store.manifests().get(options.name());
    if (previous.isPresent()) {
      try {
        next = Math.max(next, dev.blocklift.chunk.Manifest.parse(previous.get()).sequence() + 1);
      } catch (dev.blocklift.core.CorruptDataException e) {
        // An unreadable manifest is replaced; its sequence is unknown.
      }
    }
    return next;
  }

  /** Converts an image from a local reference ({@code oci:}, {@code docker-archive:}). */
  public ConvertResult convert(
      ImageRef ref, Platform platform, ConvertOptions options, ConvertListener listener)
      throws IOException {
    try (ImageSource source = ImageSources.open(ref)) {
      return convert(source, platform, options, listener);
    }
  }

  /** Converts an image from an open source (the caller closes it). */
  public ConvertResult convert(
      ImageSource source, Platform platform, ConvertOptions options, ConvertListener listener)
      throws IOException {
    long start = nanoTime.getAsLong();
    Files.createDirectories(scratchDir);
    Path device =
        scratchDir.resolve(
            "convert-"
                + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36)
                + ".ext4");
    try {
      listener.phase("flattening");
      // One pass over the layers: progress follows the compressed layer bytes read.
      listener.flattenPlanned(
          source.resolve(platform).layers().stream().mapToLong(Descriptor::size).sum());
      LoadedImage image =
          new Flattener()
              .flatten(
                  source,
                  platform,
                  device,
                  FlattenOptions.defaults(),
                  new LoadListener() {
                    @Override
                    public void bytesRead(int layerIndex, long compressedBytes) {
                      listener.flattened(compressedBytes);
                    }
                  },
                  FlattenListener.NONE)
              .image();
      Duration flatten = Duration.ofNanos(nanoTime.getAsLong() - start);
      return convertDevice(
          device,
          image.resolved().manifestDigest(),
          image.resolved().configJson(),
          options,
          listener,
          flatten,
          start);
    } finally {
      Files.deleteIfExists(device);
    }
  }

  /** Converts an already flattened device file (tests, benchmarks, re-runs). */
  public ConvertResult convertDevice(
      Path device,
      Digest imageDigest,
      byte[] configJson,
      ConvertOptions options,
      ConvertListener listener)
      throws IOException {
    long start = nanoTime.getAsLong();
    return convertDevice(device, imageDigest, configJson, options, listener, Duration.ZERO, start);
  }

  private ConvertResult convertDevice(
      Path device,
      Digest imageDigest,
      byte[] configJson,
      ConvertOptions options,
      ConvertListener listener,
      Duration flatten,
      long start)
      throws IOException {
    long uploadStart = nanoTime.getAsLong();
    SaltRoot root = roots.active();
    Salt salt = secret.salt(root.id(), options.saltLabel());
    try (Chunker chunker = Chunker.open(device, options.chunkSize())) {
      listener.chunking(chunker.chunkCount(), chunker.deviceSize());
      listener.phase("uploading");
      ManifestBuilder builder =
          new ManifestBuilder(
              imageDigest, configJson, options.chunkSize(), chunker.deviceSize(), root.id(), salt);
      ChunkPipeline pipeline = new ChunkPipeline(store.chunks(), salt, builder, options, listener);
      pipeline.run(chunker);
      int repaired = pipeline.ensureAllStored(chunker);
      listener.phase("publishing");
      byte[] manifest =
          builder.seal(
              keys, options.tenant(), options.name(), nextSequence(options), secret.manifestMac());
      store.manifests().publish(options.name(), manifest);
      long end = nanoTime.getAsLong();
      ConvertStats stats =
          new ConvertStats(
              chunker.chunkCount(),
              pipeline.holes.get(),
              pipeline.newChunks.get() + repaired,
              pipeline.present.get() - repaired,
              pipeline.duplicates.get(),
              pipeline.bytesUploaded.get(),
              chunker.deviceSize(),
              pipeline.dataBytes.get(),
              pipeline.storedBytes.get(),
              options.compression(),
              pipeline.compressedChunks.get(),
              flatten,
              Duration.ofNanos(end - uploadStart),
              Duration.ofNanos(end - start));
      return new ConvertResult(
          options.name(), Digest.sha256(manifest), imageDigest, root.id(), stats);
    }
  }
}
