package dev.blocklift.cache;

/**
 * A snapshot of one level of the tier chain: how a cache tier was filled from the source below it.
 *
 * @param upper the cache tier's name
 * @param lower the lower source's {@code describe()}
 * @param requests reads that missed the upper tier and needed the lower source
 * @param fetches reads of the lower source actually made (requests minus those coalesced)
 * @param coalesced requests that joined a fetch already in flight for the same chunk
 * @param found fetches that returned the chunk
 * @param notFound fetches for which the lower source did not have the chunk
 * @param failures fetches that failed with an I/O error (timeouts included)
 * @param timeouts requests that gave up waiting after the configured timeout
 * @param corrupt fetches whose bytes did not verify against the chunk name
 * @param bytesFetched bytes returned by the lower source
 * @param latency the lower fetches' latency
 */
public record FetchStats(
    String upper,
    String lower,
    long requests,
    long fetches,
    long coalesced,
    long found,
    long notFound,
    long failures,
    long timeouts,
    long corrupt,
    long bytesFetched,
    LatencySnapshot latency) {}
