package dev.blocklift.fleet.client;

import dev.blocklift.cache.chain.SingleFlight;
import dev.blocklift.core.ChunkName;
import dev.blocklift.core.CorruptDataException;
import dev.blocklift.fleet.coding.Shard;
import dev.blocklift.fleet.coding.ShardCodec;
import dev.blocklift.fleet.node.ShardKey;
import dev.blocklift.fleet.placement.NodeAddress;
import dev.blocklift.fleet.placement.Rendezvous;
import dev.blocklift.store.ChunkSource;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/*
 * Design: the cache fleet as one tier of the chunk-source chain (L2 in DESIGN.md, "Tiers").
 *
 * Placement. Each chunk's n = k + m shards live on n distinct nodes chosen by rendezvous hashing
 * over the current membership (Rendezvous); shard i always goes to slot i's node.
 *
 * Read. All k first-choice requests go out at once on the JDK HTTP client; the m extra ones too
 * while the hedge budget has tokens (by default it always has: "ask all 5 at once"), otherwise
 * after hedgeDelay or as soon as one request fails. Each answer is parsed and its CRC32C checked
 * against the chunk name; a bad shard is counted and ignored. When k valid shards are in, the rest
 * are cancelled (except requests to nodes that answered 404 in the last 30 s, likely restarted
 * empty or new: those run to their end so that a late 404 still repairs the shard), the chunk is
 * rebuilt and checked against its SHA-256 name. A rebuilt chunk that
 * does not match (a shard with a valid CRC but wrong bytes) makes the read wait for the remaining
 * answers and try every k-subset; if none matches, the fleet is treated as a miss. So the bytes
 * returned are always the named bytes, whatever the nodes do.
 *
 * Miss (fewer than k valid shards within requestTimeout). The chunk is read from the next tier
 * with one shared fetch per chunk (the cache module's SingleFlight: concurrent misses wait for it,
 * each for at most 2 x storeWait, and one that gives up fails no other) and at most maxStoreReads
 * store reads in flight overall, returned at once, and its n shards are PUT in the background. A hit
 * that saw 404s (a node restarted empty, a new member) re-PUTs just those shards. Background work
 * is bounded by maxPendingFills; beyond it, fills are dropped and counted, never queued forever.
 *
 * Bounds. Every shard request has a timeout; each node has at most maxInFlightPerNode requests in
 * flight (beyond it the node is skipped for that read: "shed"); extra requests are rationed by
 * the hedge budget; store reads are capped. Nothing here waits without a deadline.
 */
/** A {@link ChunkSource} backed by the AZ cache fleet, falling back to the next tier. */
public final class FleetSource implements ChunkSource, AutoCloseable {
  private final FleetConfig config;
  private final Supplier<Rendezvous> membership;
  private final ChunkSource next;
  private final ShardTransport transport;
  private final ShardCodec codec;
  private final FleetMetrics metrics;
  private final HedgeBudget budget;
  private final Semaphore storePermits;
  private final Semaphore fillPermits;
  private final ConcurrentHashMap<NodeAddress, Semaphore> inFlight = new ConcurrentHashMap<>();
  private final ExecutorService storeReads = Executors.newVirtualThreadPerTaskExecutor();
  private final SingleFlight<ChunkName, Optional<byte[]>> storeFlights =
      new SingleFlight<>(storeReads);
  private final ExecutorService background = Executors.newVirtualThreadPerTaskExecutor();
  private final ConcurrentHashMap<NodeAddress, Long> recentNotFound = new ConcurrentHashMap<>();
  private static final long WATCH_NANOS = TimeUnit.SECONDS.toNanos(30);

  public FleetSource(
      FleetConfig config,
      Supplier<Rendezvous> membership,
      ChunkSource next,
      ShardTransport transport) {
    this.config = config;
    this.membership = membership;
    this.next = next;
    this.transport = transport;
    this.codec = new ShardCodec(config.dataShards(), config.parityShards());
    this.metrics = new FleetMetrics(storeFlights::joins);
    this.budget = new HedgeBudget(config.hedgeRatio(), Math.max(1, config.parityShards() * 4));
    this.storePermits = new Semaphore(config.maxStoreReads(), true);
    this.fillPermits = new Semaphore(config.maxPendingFills());
  }

  /** A fleet source over HTTP with its own transport (closed with this source). */
  public static FleetSource overHttp(
      FleetConfig config, Supplier<Rendezvous> membership, ChunkSource next) {
    long maxShard = Shard.wireLength(Shard.payloadLength(config.maxChunk(), config.dataShards()));
    return new FleetSource(
        config, membership, next, new HttpShardTransport(maxShard, config.requestTimeout()));
  }

  public FleetMetrics metrics() {
    return metrics;
  }

  public FleetConfig config() {
    return config;
  }

  @Override
  public Optional<byte[]> get(ChunkName name) throws IOException {
    if (membership.get().size() == 0) {
      // No fleet configured (yet): no L2, reads go straight to the next tier, uncounted here.
      return next.get(name);
    }
    long t0 = System.nanoTime();
    metrics.reads.increment();
    try {
      FleetRead r = readFleet(name);
      if (r.chunk() != null) {
        metrics.hits.increment();
        if (!r.notFound().isEmpty()) {
          repair(name, r.chunk(), r.nodes(), r.notFound());
        }
        return Optional.of(r.chunk());
      }
      metrics.misses.increment();
      return readNext(name);
    } catch (IOException | RuntimeException e) {
      metrics.failedReads.increment();
      throw e;
    } finally {
      metrics.recordLatency(System.nanoTime() - t0);
    }
  }

  /** Whether the chunk exists, answered by the next tier (the authority on existence). */
  @Override
  public boolean exists(ChunkName name) throws IOException {
    return next.exists(name);
  }

  @Override
  public String describe() {
    return "fleet("
        + codec.k()
        + "+"
        + codec.m()
        + " over "
        + membership.get().size()
        + " nodes) -> "
        + next.describe();
  }

  /** Waits up to {@code timeoutMillis} for background fills and repairs to finish (tests). */
  public boolean awaitFills(long timeoutMillis) throws InterruptedException {
    int all = config.maxPendingFills();
    if (fillPermits.tryAcquire(all, timeoutMillis, TimeUnit.MILLISECONDS)) {
      fillPermits.release(all);
      return true;
    }
    return false;
  }

  @Override
  public void close() {
    background.shutdown();
    try {
      background.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    background.shutdownNow();
    storeReads.shutdownNow();
    transport.close();
  }

  // ---- the fleet read --------------------------------------------------------------------------

  private static final class FleetRead {
    private final byte[] chunk;
    private final List<NodeAddress> nodes;
    private final List<Integer> notFound;

    FleetRead(byte[] chunk, List<NodeAddress> nodes, List<Integer> notFound) {
      this.chunk = chunk;
      this.nodes = nodes;
      this.notFound = notFound;
    }

    byte[] chunk() {
      return chunk;
    }

    List<NodeAddress> nodes() {
      return nodes;
    }

    List<Integer> notFound() {
      return notFound;
    }
  }

  private FleetRead readFleet(ChunkName name) throws IOException {
    Rendezvous rv = membership.get();
    int n = codec.n();
    int k = codec.k();
    if (rv.size() < n) {
      return new FleetRead(null, List.of(), List.of());
    }
    List<NodeAddress> nodes = rv.place(name, n);
    ReadState st = new ReadState(name, nodes);
    budget.deposit();
    for (int i = 0; i < k; i++) {
      st.send(i);
    }
    boolean deferred = false;
    for (int i = k; i < n; i++) {
      if (budget.tryWithdraw()) {
        metrics.hedgesImmediate.increment();
        st.send(i);
      } else {
        st.defer(i);
        deferred = true;
      }
    }
    if (deferred) {
      CompletableFuture.delayedExecutor(config.hedgeDelay().toNanos(), TimeUnit.NANOSECONDS)
          .execute(st::releaseDeferred);
    }
    long deadline = System.nanoTime() + config.requestTimeout().toNanos();
    await(st.enough, deadline);
    Shard[] got = st.snapshot();
    if (count(got) >= k) {
      byte[] chunk = decodeVerified(name, got);
      if (chunk == null) {
        metrics.badReconstructions.increment();
        // A shard passed its CRC but holds wrong bytes: hear from everyone, try every subset.
        st.releaseDeferred();
        await(st.allDone, deadline);
        chunk = decodeAnySubset(name, st.snapshot());
      }
      List<Integer> notFound = st.finish(chunk);
      if (chunk != null) {
        return new FleetRead(chunk, nodes, notFound);
      }
      return new FleetRead(null, nodes, List.of());
    }
    st.finish(null);
    return new FleetRead(null, nodes, List.of());
  }

  private static void await(CompletableFuture<Void> f, long deadlineNanos) throws IOException {
    long left = deadlineNanos - System.nanoTime();
    try {
      f.get(Math.max(0, left), TimeUnit.NANOSECONDS);
    } catch (TimeoutException | ExecutionException e) {
      // proceed with what has arrived
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while reading from the cache fleet");
    }
  }

  private static int count(Shard[] shards) {
    int c = 0;
    for (Shard s : shards) {
      c += s == null ? 0 : 1;
    }
    return c;
  }

  private byte[] decodeVerified(ChunkName name, Shard[] shards) {
    try {
      byte[] chunk = codec.decode(shards);
      return name.matches(chunk) ? chunk : null;
    } catch (IllegalArgumentException e) {
      return null; // shards disagree on their header: treat like a wrong rebuild
    }
  }

  private byte[] decodeAnySubset(ChunkName name, Shard[] shards) {
    int n = shards.length;
    int k = codec.k();
    for (int mask = 0; mask < (1 << n); mask++) {
      if (Integer.bitCount(mask) != k) {
        continue;
      }
      Shard[] subset = new Shard[n];
      boolean ok = true;
      for (int i = 0; i < n && ok; i++) {
        if ((mask & (1 << i)) != 0) {
          ok = shards[i] != null;
          subset[i] = shards[i];
        }
      }
      if (ok) {
        byte[] chunk = decodeVerified(name, subset);
        if (chunk != null) {
          metrics.corruptShards.increment(); // the one left out was lying
          return chunk;
        }
      }
    }
    return null;
  }

  /** One read's shard requests and their answers. */
  private final class ReadState {
    private final ChunkName name;
    private final List<NodeAddress> nodes;
    private final int n;
    private final Shard[] valid;
    private final boolean[] deferred;
    private final boolean[] missing;
    private final CompletableFuture<?>[] calls;
    private int validCount;
    private int pending;
    private boolean finished;
    private byte[] served;
    final CompletableFuture<Void> enough = new CompletableFuture<>();
    final CompletableFuture<Void> allDone = new CompletableFuture<>();

    ReadState(ChunkName name, List<NodeAddress> nodes) {
      this.name = name;
      this.nodes = nodes;
      this.n = nodes.size();
      this.valid = new Shard[n];
      this.deferred = new boolean[n];
      this.missing = new boolean[n];
      this.calls = new CompletableFuture<?>[n];
      this.pending = n;
    }

    synchronized void defer(int i) {
      deferred[i] = true;
    }

    void releaseDeferred() {
      List<Integer> toSend = new ArrayList<>();
      synchronized (this) {
        if (finished) {
          return;
        }
        for (int i = 0; i < n; i++) {
          if (deferred[i]) {
            deferred[i] = false;
            toSend.add(i);
          }
        }
      }
      for (int i : toSend) {
        metrics.hedgesDelayed.increment();
        send(i);
      }
    }

    void send(int i) {
      NodeAddress node = nodes.get(i);
      Semaphore sem =
          inFlight.computeIfAbsent(node, x -> new Semaphore(config.maxInFlightPerNode()));
      if (!sem.tryAcquire()) {
        metrics.shed.increment();
        resolve(i, null, false, true);
        return;
      }
      CompletableFuture<Optional<byte[]>> call;
      try {
        call = transport.get(node, new ShardKey(name, i), config.requestTimeout());
      } catch (RuntimeException e) {
        sem.release();
        metrics.shardErrors.increment();
        resolve(i, null, false, true);
        return;
      }
      synchronized (this) {
        calls[i] = call;
      }
      CompletableFuture<?> unused =
          call.whenComplete(
              (body, err) -> {
                sem.release();
                onAnswer(i, body, err);
              });
    }

    private void onAnswer(int i, Optional<byte[]> body, Throwable err) {
      if (err != null) {
        Throwable cause = err instanceof CompletionException ? err.getCause() : err;
        boolean cancelled = cause instanceof CancellationException;
        if (!cancelled) {
          metrics.shardErrors.increment();
        }
        resolve(i, null, false, !cancelled);
        return;
      }
      if (body.isEmpty()) {
        metrics.shardNotFound.increment();
        recentNotFound.put(nodes.get(i), System.nanoTime());
        resolve(i, null, true, true);
        return;
      }
      Shard shard;
      try {
        shard = Shard.parse(name, i, body.get(), config.maxChunk());
        if (shard.k() != codec.k() || shard.m() != codec.m()) {
          throw new CorruptDataException(
              "shard coded "
                  + shard.k()
                  + "+"
                  + shard.m()
                  + ", expected "
                  + codec.k()
                  + "+"
                  + codec.m());
        }
      } catch (CorruptDataException e) {
        metrics.corruptShards.increment();
        resolve(i, null, false, true);
        return;
      }
      resolve(i, shard, false, false);
    }

    private void resolve(int i, Shard shard, boolean notFound, boolean failed) {
      boolean wakeHedges;
      byte[] lateRepair = null;
      synchronized (this) {
        if (finished && notFound && served != null) {
          lateRepair = served; // a 404 that arrived after the read was served
        }
        pending--;
        if (shard != null) {
          valid[i] = shard;
          validCount++;
        }
        missing[i] |= notFound;
        if (validCount >= codec.k()) {
          enough.complete(null);
        }
        int deferredCount = 0;
        for (boolean d : deferred) {
          deferredCount += d ? 1 : 0;
        }
        if (pending == deferredCount && deferredCount == 0) {
          enough.complete(null);
          allDone.complete(null);
        }
        wakeHedges = failed && deferredCount > 0 && !finished;
      }
      if (wakeHedges) {
        releaseDeferred();
      }
      if (lateRepair != null) {
        repair(name, lateRepair, nodes, List.of(i));
      }
    }

    synchronized Shard[] snapshot() {
      return valid.clone();
    }

    private synchronized List<Integer> notFoundLocked() {
      List<Integer> out = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        if (missing[i]) {
          out.add(i);
        }
      }
      return out;
    }

    /**
     * Ends the read: cancels the requests still running, except those to nodes that answered 404
     * recently (likely restarted empty or new): their answers are awaited in the background, so a
     * late 404 still triggers the repair of that shard.
     *
     * @param chunk the chunk served, or null on a miss
     * @return the shards known missing so far
     */
    List<Integer> finish(byte[] chunk) {
      List<CompletableFuture<?>> cancel = new ArrayList<>();
      List<Integer> notFound;
      long now = System.nanoTime();
      synchronized (this) {
        finished = true;
        served = chunk;
        notFound = notFoundLocked();
        for (int i = 0; i < n; i++) {
          CompletableFuture<?> c = calls[i];
          Long seen = recentNotFound.get(nodes.get(i));
          boolean watch = chunk != null && seen != null && now - seen < WATCH_NANOS;
          if (c != null && !c.isDone() && !watch) {
            cancel.add(c);
          }
        }
      }
      for (CompletableFuture<?> c : cancel) {
        c.cancel(true);
      }
      return notFound;
    }
  }

  // ---- the next tier ----------------------------------------------------------------------------

  /**
   * The next tier's answer for a fleet miss: one store read per chunk however many misses wait for
   * it (the cache module's {@link SingleFlight}), each waiter bounded by twice {@code storeWait} (a
   * permit wait of at most {@code storeWait}, then the read). Every caller gets its own copy.
   */
  private Optional<byte[]> readNext(ChunkName name) throws IOException {
    return storeFlights
        .get(name, config.storeWait().multipliedBy(2), () -> readStore(name))
        .map(byte[]::clone);
  }

  /** One store read under the store-read cap, verified, and filled into the fleet. */
  private Optional<byte[]> readStore(ChunkName name) throws IOException {
    try {
      if (!storePermits.tryAcquire(config.storeWait().toNanos(), TimeUnit.NANOSECONDS)) {
        throw new IOException(
            "chunk "
                + name
                + ": "
                + config.maxStoreReads()
                + " store reads already in flight for "
                + config.storeWait()
                + " (cache fleet cold or down?)");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted waiting for the store");
    }
    Optional<byte[]> r;
    try {
      metrics.storeReads.increment();
      r = next.get(name);
    } finally {
      storePermits.release();
    }
    if (r.isPresent()) {
      name.verify(r.get(), next.describe());
      fill(name, r.get().clone());
    }
    return r;
  }

  // ---- background fills
  // --------------------------------------------------------------------------

  private void fill(ChunkName name, byte[] chunk) {
    Rendezvous rv = membership.get();
    if (rv.size() < codec.n()) {
      return;
    }
    List<NodeAddress> nodes = rv.place(name, codec.n());
    List<Integer> all = new ArrayList<>();
    for (int i = 0; i < codec.n(); i++) {
      all.add(i);
    }
    schedulePuts(name, chunk, nodes, all, false);
  }

  private void repair(ChunkName name, byte[] chunk, List<NodeAddress> nodes, List<Integer> which) {
    schedulePuts(name, chunk, nodes, which, true);
  }

  private void schedulePuts(
      ChunkName name, byte[] chunk, List<NodeAddress> nodes, List<Integer> which, boolean repair) {
    if (!fillPermits.tryAcquire()) {
      metrics.fillsDropped.increment();
      return;
    }
    (repair ? metrics.repairs : metrics.fills).increment();
    try {
      background.execute(
          () -> {
            try {
              Shard[] shards = codec.encode(name, chunk);
              List<CompletableFuture<Void>> puts = new ArrayList<>();
              for (int i : which) {
                puts.add(
                    transport
                        .put(
                            nodes.get(i),
                            new ShardKey(name, i),
                            shards[i].wire(),
                            config.requestTimeout().multipliedBy(4))
                        .exceptionally(
                            e -> {
                              metrics.fillErrors.increment();
                              return null;
                            }));
              }
              CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new))
                  .get(config.requestTimeout().toMillis() * 8, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException | RuntimeException e) {
              metrics.fillErrors.increment();
            } finally {
              fillPermits.release();
            }
          });
    } catch (RuntimeException e) { // executor shut down
      fillPermits.release();
      metrics.fillsDropped.increment();
    }
  }
}
