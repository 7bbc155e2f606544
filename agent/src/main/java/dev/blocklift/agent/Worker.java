package dev.blocklift.agent;

import dev.blocklift.cache.CacheTier;
import dev.blocklift.cache.chain.CachingSource;
import dev.blocklift.cache.chain.TieredSource;
import dev.blocklift.cache.tier.DiskTier;
import dev.blocklift.cache.tier.MemoryTier;
import dev.blocklift.chunk.KeyService;
import dev.blocklift.chunk.OpenedManifest;
import dev.blocklift.chunk.TenantId;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ByteSize;
import dev.blocklift.core.ImageName;
import dev.blocklift.image.ImageConfig;
import dev.blocklift.store.Store;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * What one worker shares across all its images and mounts: the store, the local tier chain (memory
 * → disk → store, ciphertext only), and the fetcher on top (single flight + timeout). {@link #open}
 * turns an image name into a lazy device.
 */
public final class Worker implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(Worker.class.getName());

  /**
   * How a worker is set up.
   *
   * @param cacheDir the disk tier's directory (empty = no disk tier)
   * @param plaintextCache decrypted chunks kept in memory, shared by all devices of the worker
   *     (each device sees only its own)
   * @param readaheadChunks chunks fetched ahead of a sequential reader; -1 = the default for the
   *     plaintext cache's size ({@link LazyDevice#readaheadFor}), 0 = none
   */
  public record Options(
      ByteSize memoryCache,
      Optional<Path> cacheDir,
      ByteSize diskCache,
      Duration fetchTimeout,
      TenantId tenant,
      ByteSize plaintextCache,
      int readaheadChunks) {
    public Options {
      if (readaheadChunks < -1) {
        throw new IllegalArgumentException(
            "readahead must be -1 (default), 0 (none) or a number of chunks, got "
                + readaheadChunks);
      }
    }
  }

  /** An image ready to present: its device and its config. */
  public record Image(
      ImageName name, ManifestChunkMap map, ImageConfig config, LazyDevice device) {}

  private final Store store;
  private final KeyService keys;
  private final Options options;
  private final List<CacheTier> tiers;
  private final TieredSource chain;
  private final ChunkFetcher fetcher;
  private final StoreCounter storeCounter;
  private final PlaintextCache plaintext;
  private final ExecutorService readaheadThreads = Executors.newVirtualThreadPerTaskExecutor();

  private Worker(Store store, KeyService keys, Options options, List<CacheTier> tiers) {
    this.store = store;
    this.keys = keys;
    this.options = options;
    this.tiers = tiers;
    this.storeCounter = new StoreCounter(store.chunks());
    this.plaintext = new PlaintextCache(options.plaintextCache().bytes());
    this.chain =
        TieredSource.of(
            tiers, storeCounter, CachingSource.Options.withTimeout(options.fetchTimeout()));
    this.fetcher = new ChunkFetcher(chain, options.fetchTimeout());
  }

  /** Opens the tiers over {@code store}; takes ownership of store and keys. */
  public static Worker open(Store store, KeyService keys, Options options) throws IOException {
    List<CacheTier> tiers = new ArrayList<>();
    if (options.memoryCache().bytes() > 0) {
      tiers.add(new MemoryTier(options.memoryCache().bytes()));
    }
    if (options.cacheDir().isPresent() && options.diskCache().bytes() > 0) {
      try {
        // Verified chunk by chunk as they are read, not all at open: open is on every start's path.
        tiers.add(
            DiskTier.open(
                options.cacheDir().get(), options.diskCache().bytes(), DiskTier.LoadCheck.ON_READ));
      } catch (BlockliftException e) {
        // Another agent holds this cache directory: run on memory alone rather than fail.
        LOG.log(System.Logger.Level.WARNING, "disk cache not used: " + e.getMessage());
      }
    }
    return new Worker(store, keys, options, tiers);
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
    return storeCounter;
  }

  /** Fetches and opens the manifest of {@code name}: its lazy device and config. */
  public Image open(ImageName name) throws IOException {
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
    OpenedManifest opened = OpenedManifest.open(bytes, keys, options.tenant());
    ManifestChunkMap map = new ManifestChunkMap(opened, name.toString());
    ImageConfig config = ImageConfig.parse(opened.manifest().imageConfigJson());
    long cacheChunks = plaintext.capacity() / map.chunkSize();
    int readahead =
        options.readaheadChunks() < 0
            ? LazyDevice.readaheadFor(cacheChunks)
            : (int) Math.min(options.readaheadChunks(), cacheChunks / 2);
    return new Image(
        name, map, config, new LazyDevice(map, fetcher, plaintext, readahead, readaheadThreads));
  }

  /** Prometheus text of the tiers, the chain and the fetcher. */
  public String prometheus() {
    return chain.prometheus("blocklift")
        + fetcher.metrics().prometheus()
        + storeCounter.prometheus();
  }

  @Override
  public void close() throws IOException {
    readaheadThreads.shutdownNow();
    fetcher.close();
    IOException failure = null;
    for (CacheTier t : tiers) {
      try {
        t.close();
      } catch (IOException e) {
        failure = e;
      }
    }
    try {
      keys.close();
      store.close();
    } catch (IOException e) {
      failure = e;
    }
    if (failure != null) {
      throw failure;
    }
  }
}
