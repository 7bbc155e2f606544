package dev.blocklift.cache.policy;

import java.util.List;

/**
 * Which keys stay resident in a byte-bounded cache: the policy half of a tier, apart from the
 * mechanism that stores the bytes (Caffeine's split). A policy knows the resident keys and their
 * weights (bytes) and nothing about values; the tier asks it what to evict and does the evicting.
 *
 * <p>Protocol, for a tier that holds the bytes:
 *
 * <ul>
 *   <li>on a hit, {@link #recordAccess(Object)};
 *   <li>to insert, {@link #admit(Object, long)}: the policy makes the key resident (or refuses it)
 *       and returns every key the tier must now drop, which may include the key just offered (then
 *       the tier does not store it). After the call, {@link #weightedSize()} &le; {@link
 *       #capacity()};
 *   <li>when the tier drops a key on its own (corrupt, deleted), {@link #remove(Object)}.
 * </ul>
 *
 * <p>Implementations are NOT thread-safe: the tier calls them under its own lock. Every decision is
 * deterministic for a given sequence of calls (no wall clock, no randomness), so a simulator run
 * and a disk tier's rebuild after restart are reproducible.
 *
 * @param <K> the key type; equals/hashCode define identity
 */
public interface EvictionPolicy<K> {

  /** The byte budget. */
  long capacity();

  /** The total weight of the resident keys; never above {@link #capacity()} between calls. */
  long weightedSize();

  /** The number of resident keys. */
  int size();

  boolean contains(K key);

  /** Records a hit on a resident key; a key that is not resident is ignored. */
  void recordAccess(K key);

  /**
   * Makes {@code key} (not resident, of {@code weight} bytes) resident unless the policy refuses
   * it, evicting as needed to stay within the budget.
   *
   * @return the keys the caller must drop, in eviction order; contains {@code key} itself if it was
   *     refused (e.g. heavier than the whole budget, or judged colder than what it would displace)
   * @throws IllegalArgumentException if {@code key} is already resident or {@code weight} is
   *     negative
   */
  List<K> admit(K key, long weight);

  /**
   * Forgets a resident key (the tier dropped it for its own reasons).
   *
   * @return true if it was resident
   */
  boolean remove(K key);

  /** A short name for tables and metrics, e.g. {@code lru-2}. */
  String name();
}
