package dev.blocklift.convert;

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
import dev.blocklift.store.ChunkBatch;
import dev.blocklift.store.Store;
import dev.blocklift.store.local.LocalChunkStore;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * {@code blocklift convert}: load an image and flatten it to a sparse ext4 file in a scratch
 * directory while chunking, compressing and encrypting it ({@link ConvertOptions#compression()}) as
 * the flattener finishes each part, uploading only what the store lacks ({@link ChunkPipeline});
 * then make the chunks durable ({@link ChunkBatch#commit}), seal the manifest for the tenant and
 * publish it — last, after every chunk is durably stored, so no reader ever sees a manifest whose
 * chunks are not all present, before or after a crash. A conversion killed at any point leaves only
 * chunks (content-addressed, harmless, collected by gc if never referenced) and a scratch file the
 * next conversion or gc removes ({@link ScratchDevices}); running it again uploads only what is
 * missing, and encrypts only what the previous manifest of the name lacks ({@link PriorChunks}).
 */
public final class Converter {
  private final Store store;
  private final KeyService keys;
  private final ServiceSecret secret;
  private final SaltRoots roots;
  private final Path scratchDir;
  private final LongSupplier nanoTime;

  /**
   * @param scratchDir where the flattened device is written (mode 0700; the device is deleted after
   *     the conversion)
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
    ScratchDevices.prepare(scratchDir);
    removeLeftovers();
    Path device = ScratchDevices.newDevice(scratchDir);
    Session session = new Session(options, listener);
    // Closed in reverse: the pipeline stops before the channel closes, the device goes last.
    try (ScratchDevices.Guard guard = new ScratchDevices.Guard(device);
        ChunkBatch batch = store.chunks().batch();
        DeviceChannel channel = new DeviceChannel();
        ChunkPipeline pipeline = session.pipeline(batch)) {
      listener.phase("flattening");
      // One pass over the layers: progress follows the compressed layer bytes read.
      listener.flattenPlanned(
          source.resolve(platform).layers().stream().mapToLong(Descriptor::size).sum());
      pipeline.start();
      Flattener.Flattened flattened =
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
                  new FlattenListener() {
                    @Override
                    public void outputOpened(Path partial) {
                      try {
                        ScratchDevices.restrict(partial);
                        pipeline.open(channel.open(partial));
                      } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                      }
                    }

                    @Override
                    public void dataFinal(long from, long to) {
                      pipeline.finalRange(from, to);
                    }
                  });
      Duration flatten = Duration.ofNanos(nanoTime.getAsLong() - start);
      LoadedImage image = flattened.image();
      return session.finish(
          pipeline,
          batch,
          flattened.result().deviceBytes(),
          image.resolved().manifestDigest(),
          image.resolved().configJson(),
          flatten,
          start);
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
    removeLeftovers();
    Session session = new Session(options, listener);
    try (ChunkBatch batch = store.chunks().batch();
        DeviceChannel channel = new DeviceChannel();
        ChunkPipeline pipeline = session.pipeline(batch)) {
      pipeline.start();
      pipeline.open(channel.open(device));
      return session.finish(
          pipeline, batch, channel.size(), imageDigest, configJson, Duration.ZERO, start);
    }
  }

  /** What a conversion started with kill -9, a crash or a power loss left behind. */
  private void removeLeftovers() throws IOException {
    Clock clock = Clock.systemUTC();
    ScratchDevices.removeLeftovers(scratchDir, ScratchDevices.LEGACY_GRACE, clock);
    if (store.chunks() instanceof LocalChunkStore local) {
      local.removeLeftoverStagingFiles(ScratchDevices.LEGACY_GRACE);
    }
  }

  /** The device file, opened for reading by the pipeline; closed last. */
  private static final class DeviceChannel implements AutoCloseable {
    private FileChannel channel;

    FileChannel open(Path file) throws IOException {
      channel = FileChannel.open(file, StandardOpenOption.READ);
      return channel;
    }

    long size() throws IOException {
      return channel.size();
    }

    @Override
    public void close() throws IOException {
      if (channel != null) {
        channel.close();
      }
    }
  }

  /** One conversion's salt, previous chunks and pipeline. */
  private final class Session {
    private final ConvertOptions options;
    private final ConvertListener listener;
    private final SaltRoot root;
    private final Salt salt;

    Session(ConvertOptions options, ConvertListener listener) throws IOException {
      this.options = options;
      this.listener = listener;
      this.root = roots.active();
      this.salt = secret.salt(root.id(), options.saltLabel());
    }

    ChunkPipeline pipeline(ChunkBatch batch) {
      PriorChunks prior = PriorChunks.load(store, keys, options.name(), salt, options);
      return new ChunkPipeline(store.chunks(), batch, salt, options, listener, prior);
    }

    ConvertResult finish(
        ChunkPipeline pipeline,
        ChunkBatch batch,
        long deviceSize,
        Digest imageDigest,
        byte[] configJson,
        Duration flatten,
        long start)
        throws IOException {
      long uploadStart = nanoTime.getAsLong();
      pipeline.complete(deviceSize);
      listener.chunking(pipeline.chunkCount(), deviceSize);
      listener.phase("uploading");
      pipeline.finish();
      // Durable before anything names them (FsyncPolicy, ChunkBatch), then re-checked: a
      // concurrent gc may have removed a chunk found present.
      batch.commit();
      int repaired = pipeline.ensureAllStored();
      if (repaired > 0) {
        batch.commit();
      }
      listener.phase("publishing");
      ManifestBuilder builder =
          new ManifestBuilder(
              imageDigest, configJson, options.chunkSize(), deviceSize, root.id(), salt);
      pipeline.copyTo(builder);
      byte[] manifest =
          builder.seal(
              keys, options.tenant(), options.name(), nextSequence(options), secret.manifestMac());
      store.manifests().publish(options.name(), manifest);
      long end = nanoTime.getAsLong();
      ChunkTable.Totals t = pipeline.totals();
      ConvertStats stats =
          new ConvertStats(
              pipeline.chunkCount(),
              t.holes(),
              pipeline.newChunks.get() + repaired,
              pipeline.present.get() - repaired,
              t.dataChunks() - t.distinct(),
              pipeline.bytesUploaded.get(),
              deviceSize,
              t.dataBytes(),
              t.storedBytes(),
              options.compression(),
              t.compressed(),
              pipeline.reused.get(),
              flatten,
              Duration.ofNanos(end - uploadStart),
              Duration.ofNanos(end - start));
      return new ConvertResult(
          options.name(), Digest.sha256(manifest), imageDigest, root.id(), stats);
    }
  }
}
