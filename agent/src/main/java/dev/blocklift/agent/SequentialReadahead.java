package dev.blocklift.agent;

/**
 * Readahead policy of a {@link LazyDevice} (policy only; the device does the fetching): it watches
 * which chunks reads touch and, once reads have walked forward across {@link #STREAK} chunk
 * boundaries in a row, asks for the next {@code window} chunks to be fetched and decrypted ahead of
 * the reader. Random access never triggers it, so it costs no extra fetches there (and so does not
 * inflate the bytes fetched at cold start).
 *
 * <p>Concurrent requests of one sequential reader arrive slightly out of order (the kernel splits a
 * large read into several FUSE requests served by several threads), so a read of the chunk just
 * behind the highest one seen does not break the streak.
 */
final class SequentialReadahead {
  /** Forward chunk crossings in a row before readahead starts. */
  static final int STREAK = 2;

  private final int window;
  private int highest = -2;
  private int streak;
  private int prefetchedUpTo = -1;

  /**
   * A policy reading {@code window} chunks ahead (0 = never).
   *
   * @throws IllegalArgumentException if {@code window} is negative
   */
  SequentialReadahead(int window) {
    if (window < 0) {
      throw new IllegalArgumentException("readahead window must not be negative, got " + window);
    }
    this.window = window;
  }

  int window() {
    return window;
  }

  /** Chunks {@code [from, to)} to fetch ahead; empty when {@code from >= to}. */
  record Range(int from, int to) {
    static final Range NONE = new Range(0, 0);

    boolean isEmpty() {
      return from >= to;
    }
  }

  /**
   * Records a read that touched chunks {@code first..last}; returns the chunks to fetch ahead now
   * ({@link Range#NONE} when none).
   */
  synchronized Range touched(int first, int last) {
    if (window == 0) {
      return Range.NONE;
    }
    if (first >= highest - 1 && first <= highest + 1) {
      if (last > highest) {
        streak += last - highest;
        highest = last;
      }
    } else {
      highest = last;
      streak = 0;
      prefetchedUpTo = last;
    }
    if (streak < STREAK) {
      return Range.NONE;
    }
    int from = Math.max(prefetchedUpTo, highest) + 1;
    int to = highest + window + 1;
    if (from >= to) {
      return Range.NONE;
    }
    // Refill only when at least half the window has been consumed: fewer, larger batches.
    if (prefetchedUpTo > highest && prefetchedUpTo - highest > window / 2) {
      return Range.NONE;
    }
    prefetchedUpTo = to - 1;
    return new Range(from, to);
  }
}
