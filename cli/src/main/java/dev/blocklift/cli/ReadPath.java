package dev.blocklift.cli;

import dev.blocklift.agent.SeenTags;
import dev.blocklift.agent.StoreCounter;
import dev.blocklift.agent.Worker;
import dev.blocklift.cache.CacheTier;
import dev.blocklift.cache.chain.CachingSource;
import dev.blocklift.cache.chain.TieredSource;
import dev.blocklift.cache.tier.DiskTier;
import dev.blocklift.cache.tier.MemoryTier;
import dev.blocklift.chunk.KeyService;
import dev.blocklift.chunk.keys.KeyServices;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.fleet.client.FleetConfig;
import dev.blocklift.fleet.client.FleetSource;
import dev.blocklift.fleet.client.MembershipFile;
import dev.blocklift.store.ChunkSource;
import dev.blocklift.store.FsyncPolicy;
import dev.blocklift.store.Store;
import dev.blocklift.store.Stores;
import dev.blocklift.store.local.LocalStoreProvider;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The composition root of the read path: the one place that turns a {@link WorkerConfig} into a
 * store, a key service, and a worker's tier chain
 *
 * <pre>
 *   memory tier → disk tier → cache fleet (L2, when fleet= lists nodes) → StoreCounter → store (L3)
 * </pre>
 *
 * Every command that reads or writes images gets its parts from here.
 */
final class ReadPath {
  private static final System.Logger LOG = System.getLogger(ReadPath.class.getName());

  /** How long a closing worker waits for the fleet's background fills to land. */
  private static final long FILL_DRAIN_MILLIS = 5_000;

  private ReadPath() {}

  /** The configured store: {@code store=}/{@code --store}, else the local store in HOME. */
  static Store store(WorkerConfig c) throws IOException {
    c.home().ensure();
    if (c.store().isPresent()) {
      return Stores.open(c.store().get());
    }
    return LocalStoreProvider.open(c.home().localStore(), FsyncPolicy.FULL);
  }

  /** The configured key service: {@code keys=}/{@code --keys}, else the local keyring. */
  static KeyService keys(WorkerConfig c) throws IOException {
    c.home().ensure();
    return KeyServices.open(c.keys(), c.home().dir(), Clock.systemUTC());
  }

  /** A worker over the whole chain; it owns (and closes) every part. */
  static Worker worker(WorkerConfig c) throws IOException {
    List<AutoCloseable> opened = new ArrayList<>();
    try {
      Store store = store(c);
      opened.add(store);
      KeyService keys = keys(c);
      opened.add(keys);
      List<CacheTier> tiers = tiers(c);
      opened.addAll(tiers);
      StoreCounter counter = new StoreCounter(store.chunks());
      ChunkSource authority = counter;
      Supplier<String> extraMetrics = () -> "";
      List<AutoCloseable> closeables = new ArrayList<>();
      if (c.fleet().isPresent()) {
        FleetSource fleet =
            FleetSource.overHttp(
                FleetConfig.defaults(), MembershipFile.watch(c.fleet().get()), counter);
        opened.add(fleet);
        authority = fleet;
        extraMetrics = () -> fleet.metrics().prometheus("blocklift");
        closeables.add(
            () -> {
              try {
                fleet.awaitFills(FILL_DRAIN_MILLIS);
              } finally {
                fleet.close();
              }
            });
      }
      TieredSource chain =
          TieredSource.of(
              tiers, authority, CachingSource.Options.withTimeout(c.fetchTimeout().toDuration()));
      return Worker.open(
          new Worker.Parts(store, keys, chain, counter, extraMetrics, closeables), options(c));
    } catch (IOException | RuntimeException e) {
      for (AutoCloseable a : opened.reversed()) {
        try {
          a.close();
        } catch (Exception suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }

  static Worker.Options options(WorkerConfig c) throws IOException {
    return new Worker.Options(
        c.fetchTimeout().toDuration(),
        c.tenant(),
        c.plaintextCache(),
        c.readahead(),
        Optional.of(SeenTags.open(c.home().dir().resolve("seen-tags.json"))),
        c.retryAfter().toDuration());
  }

  private static List<CacheTier> tiers(WorkerConfig c) throws IOException {
    List<CacheTier> tiers = new ArrayList<>();
    if (c.memoryCache().bytes() > 0) {
      tiers.add(new MemoryTier(c.memoryCache().bytes()));
    }
    if (c.diskCache().bytes() > 0) {
      try {
        // Verified chunk by chunk as they are read, not all at open: open is on every start's path.
        tiers.add(DiskTier.open(c.cacheDir(), c.diskCache().bytes(), DiskTier.LoadCheck.ON_READ));
      } catch (BlockliftException e) {
        // Another agent holds this cache directory: run on memory alone rather than fail.
        LOG.log(System.Logger.Level.WARNING, "disk cache not used: " + e.getMessage());
      }
    }
    return tiers;
  }
}
