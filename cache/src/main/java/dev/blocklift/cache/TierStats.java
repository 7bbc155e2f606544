package dev.blocklift.cache;

/**
 * A snapshot of one cache tier's counters (monotonic since the tier was opened) and its current
 * occupancy.
 *
 * @param tier the tier's name, e.g. {@code memory} or {@code disk}
 * @param policy the eviction policy's name, e.g. {@code lru-2}
 * @param hits {@code get} calls that found the chunk
 * @param misses {@code get} calls that did not (including dropped corrupt entries)
 * @param hitBytes bytes served by hits
 * @param puts chunks stored
 * @param putBytes bytes stored
 * @param rejected chunks the policy refused to store
 * @param evictions chunks evicted to make room
 * @param evictedBytes bytes evicted to make room
 * @param removals chunks removed on request
 * @param corruptDropped entries found corrupt (on read or when loading after restart) and deleted
 * @param partialDropped leftover partial writes deleted when loading (disk only)
 * @param entries chunks held now
 * @param sizeBytes bytes held now
 * @param capacityBytes the byte budget
 */
public record TierStats(
    String tier,
    String policy,
    long hits,
    long misses,
    long hitBytes,
    long puts,
    long putBytes,
    long rejected,
    long evictions,
    long evictedBytes,
    long removals,
    long corruptDropped,
    long partialDropped,
    long entries,
    long sizeBytes,
    long capacityBytes) {

  /** Hits over lookups, 0 when there were none. */
  public double hitRate() {
    long lookups = hits + misses;
    return lookups == 0 ? 0 : (double) hits / lookups;
  }
}
