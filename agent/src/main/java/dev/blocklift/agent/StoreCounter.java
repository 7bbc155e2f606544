package dev.blocklift.agent;

import dev.blocklift.core.ChunkName;
import dev.blocklift.store.ChunkSource;
import java.io.IOException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts what reaches the chunk store itself (the bottom of the tier chain): GETs, bytes returned
 * and the distinct chunks asked for, so "store GETs per unique chunk" is measured at the store and
 * not inferred from the cache. Wraps the store's {@link ChunkSource}; passes everything through.
 */
public final class StoreCounter implements ChunkSource {
  private final ChunkSource store;
  private final LongAdder gets = new LongAdder();
  private final LongAdder bytes = new LongAdder();
  private final Set<ChunkName> distinct = ConcurrentHashMap.newKeySet();

  public StoreCounter(ChunkSource store) {
    this.store = store;
  }

  @Override
  public Optional<byte[]> get(ChunkName name) throws IOException {
    gets.increment();
    distinct.add(name);
    Optional<byte[]> got = store.get(name);
    got.ifPresent(b -> bytes.add(b.length));
    return got;
  }

  @Override
  public boolean exists(ChunkName name) throws IOException {
    return store.exists(name);
  }

  @Override
  public String describe() {
    return store.describe();
  }

  /** GETs sent to the store. */
  public long gets() {
    return gets.sum();
  }

  /** Bytes the store returned: stored chunks (compressed and encrypted), not plaintext. */
  public long bytes() {
    return bytes.sum();
  }

  /** Distinct chunks asked of the store. */
  public long distinctChunks() {
    return distinct.size();
  }

  /** Prometheus text of these counters. */
  public String prometheus() {
    StringBuilder sb = new StringBuilder();
    FetchMetrics.counter(sb, "blocklift_store_gets_total", "GETs sent to the chunk store", gets());
    FetchMetrics.counter(
        sb, "blocklift_store_get_bytes_total", "Bytes returned by the chunk store", bytes());
    sb.append("# HELP blocklift_store_distinct_chunks Distinct chunks asked of the chunk store\n");
    sb.append("# TYPE blocklift_store_distinct_chunks gauge\n");
    sb.append("blocklift_store_distinct_chunks ").append(distinctChunks()).append('\n');
    return sb.toString();
  }
}
