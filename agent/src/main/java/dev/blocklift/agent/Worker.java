package dev.blocklift.agent;

import dev.blocklift.cache.CacheTier;
import dev.blocklift.cache.chain.CachingSource;
import dev.blocklift.cache.chain.TieredSource;
import dev.blocklift.chunk.KeyService;
import dev.blocklift.chunk.OpenedManifest;
import dev.blocklift.chunk.TenantId;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ByteSize;
import dev.blocklift.core.ImageName;
import dev.blocklift.image.ImageConfig;
import dev.blocklift.store.Store;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * What one worker shares across all its images and mounts: the store, the tier chain it is given
 * (memory → disk → fleet → store, ciphertext only), and the fetcher on top (single flight +
 * timeout). {@link #open(ImageName)} turns an image name into a lazy device. The worker does not
 * choose or build its tiers: its caller composes them (the CLI's {@code ReadPath}) and hands them
 * over in {@link Parts}.
 */
public final class Worker implements AutoCloseable {
  /**
   * How a worker presents images.
   *
   * @param fetchTimeout a chunk not had within this fails the read
   * @param plaintextCache decrypted chunks kept in memory, shared by all devices of the worker
   *     (each device sees only its own)
   * @param readaheadChunks chunks fetched ahead of a sequential reader; -1 = the default for the
   *     plaintext cache's size ({@link LazyDevice#readaheadFor}), 0 = none
   * @param seenTags the newest manifest sequence this machine has seen per tag: an older one is
   *     refused as a rollback (empty: no such check)
   * @param retryAfter how long the reads of a chunk whose fetch failed fail at once
   */
  public record Options(
      Duration fetchTimeout,
      TenantId tenant,
      ByteSize plaintextCache,
      int readaheadChunks,
      Optional<SeenTags> seenTags,
      Duration retryAfter) {
    public Options(
        Duration fetchTimeout, TenantId tenant, ByteSize plaintextCache, int readaheadChunks) {
      this(
          fetchTimeout,
          tenant,
          plaintextCache,
          readaheadChunks,
          Optional.empty(),
          ChunkFetcher.DEFAULT_RETRY_AFTER);
    }

    public Options {
      if (readaheadChunks < -1) {
        throw new IllegalArgumentException(
            "readahead must be -1 (default), 0 (none) or a number of chunks, got "
                + readaheadChunks);
      }
      if (fetchTimeout.isNegative() || fetchTimeout.isZero()) {
        throw new IllegalArgumentException("fetch timeout must be positive, got " + fetchTimeout);
      }
    }
  }

  /**
   * The ready-made read path a worker runs on; the worker owns all of it once opened.
   *
   * @param chain the tier chain, whose bottom ({@link TieredSource#authority()}) leads to {@code
   *     storeCounter}, possibly through the cache fleet
   * @param storeCounter the store's chunk source, counted: the chain's last step
   * @param extraMetrics Prometheus text of parts the chain does not report itself (the fleet)
   * @param closeables closed after the tiers, before keys and store (the fleet client, watchers)
   */
  public record Parts(
      Store store,
      KeyService keys,
      TieredSource chain,
      StoreCounter storeCounter,
      Supplier<String> extraMetrics,
      List<AutoCloseable> closeables) {
    public Parts {
      closeables = List.copyOf(closeables);
    }

    /**
     * Ready tiers straight over the store (no fleet): for tests, benchmarks and embedders that do
     * not go through the CLI's composition root.
     */
    public static Parts overStore(
        Store store, KeyService keys, List<? extends CacheTier> tiers, Duration fetchTimeout) {
      StoreCounter counter = new StoreCounter(store.chunks());
      TieredSource chain =
          TieredSource.of(tiers, counter, CachingSource.Options.withTimeout(fetchTimeout));
      return new Parts(store, keys, chain, counter, () -> "", List.of());
    }
  }

  /** An image ready to present: its device and its config. */
  public record Image(
      ImageName name, ManifestChunkMap map, ImageConfig config, LazyDevice device) {}

  private final Parts parts;
  private final Store store;
  private final KeyService keys;
  private final Options options;
  private final TieredSource chain;
  private final ChunkFetcher fetcher;
  private final PlaintextCache plaintext;
  private final ExecutorService readaheadThreads = Executors.newVirtualThreadPerTaskExecutor();

  private Worker(Parts parts, Options options) {
    this.parts = parts;
    this.store = parts.store();
    this.keys = parts.keys();
    this.options = options;
    this.chain = parts.chain();
    this.plaintext = new PlaintextCache(options.plaintextCache().bytes());
    this.fetcher =
        new ChunkFetcher(
            chain,
            options.fetchTimeout(),
            options.retryAfter(),
            new FetchMetrics(),
            System::nanoTime);
  }

  /** A worker over ready parts; takes ownership of all of them (closed by {@link #close()}). */
  public static Worker open(Parts parts, Options options) {
    return new Worker(parts, options);
  }

  public ChunkFetcher fetcher() {
    return fetcher;
  }

  public TieredSource chain() {
    return chain;
  }

  public Store store() {
    return store;
  }

  /** What reached the chunk store itself (GETs, bytes, distinct chunks). */
  public StoreCounter storeCounter() {
    return parts.storeCounter();
  }

  /**
   * The worker's running totals, for per-run deltas: each tier's hits ({@code TIERHits}), the
   * fetcher's loads through the chain ({@code fetches}), and what reached the store ({@code
   * storeGets}, {@code storeBytes}).
   */
  public java.util.Map<String, Long> counters() {
    java.util.Map<String, Long> m = new java.util.LinkedHashMap<>();
    for (dev.blocklift.cache.TierStats t : chain().tierStats()) {
      m.put(t.tier() + "Hits", t.hits());
    }
    m.put("fetches", fetcher().metrics().fetches());
    m.put("storeGets", storeCounter().gets());
    m.put("storeBytes", storeCounter().bytes());
    return m;
  }

  /** Fetches and opens the manifest of {@code name}: its lazy device and config. */
  public Image open(ImageName name) throws IOException {
    OpenedManifest opened = opened(name);
    ManifestChunkMap map = new ManifestChunkMap(opened, name.toString());
    ImageConfig config = ImageConfig.parse(opened.imageConfigJson());
    long cacheChunks = plaintext.capacity() / map.chunkSize();
    int readahead =
        options.readaheadChunks() < 0
            ? LazyDevice.readaheadFor(cacheChunks)
            : (int) Math.min(options.readaheadChunks(), cacheChunks / 2);
    return new Image(
        name, map, config, new LazyDevice(map, fetcher, plaintext, readahead, readaheadThreads));
  }

  /**
   * Checks that {@code name} is in the store and opens for this worker's tenant (its seal
   * verified), without making a device; answers its image config.
   */
  public ImageConfig check(ImageName name) throws IOException {
    return ImageConfig.parse(opened(name).imageConfigJson());
  }

  private OpenedManifest opened(ImageName name) throws IOException {
    byte[] bytes =
        store
            .manifests()
            .get(name)
            .orElseThrow(
                () ->
                    new BlockliftException(
                        "image "
                            + name
                            + " is not in store "
                            + store.uri()
                            + "; convert it first (blocklift convert) or pass --store"));
    OpenedManifest m = OpenedManifest.open(bytes, keys, options.tenant(), name);
    options.seenTags().ifPresent(s -> s.check(options.tenant(), name, m.manifest().sequence()));
    return m;
  }

  /** Prometheus text of the tiers, the chain, the fetcher, the store and the fleet if any. */
  public String prometheus() {
    return chain.prometheus("blocklift")
        + fetcher.metrics().prometheus()
        + parts.storeCounter().prometheus()
        + parts.extraMetrics().get();
  }

  @Override
  public void close() throws IOException {
    readaheadThreads.shutdownNow();
    fetcher.close();
    IOException failure = null;
    for (CacheTier t : chain.tiers()) {
      try {
        t.close();
      } catch (IOException e) {
        failure = e;
      }
    }
    for (AutoCloseable c : parts.closeables()) {
      try {
        c.close();
      } catch (Exception e) {
        failure = e instanceof IOException io ? io : new IOException(e);
      }
    }
    try {
      keys.close();
    } catch (RuntimeException e) {
      failure = new IOException("closing the key service: " + e.getMessage(), e);
    }
    try {
      store.close();
    } catch (IOException e) {
      failure = e;
    }
    if (failure != null) {
      throw failure;
    }
  }
}
