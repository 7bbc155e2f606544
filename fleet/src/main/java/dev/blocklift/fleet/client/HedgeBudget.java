package dev.blocklift.fleet.client;

/**
 * A token bucket for extra (hedged) shard requests: every read deposits {@code ratio} tokens (up to
 * {@code burst}), every extra request sent at once withdraws one. So over any stretch of time the
 * extra requests are at most {@code ratio} per read plus the burst, however slow the fleet gets.
 */
final class HedgeBudget {
  private final double ratio;
  private final double burst;
  private double tokens;

  HedgeBudget(double ratio, double burst) {
    this.ratio = ratio;
    this.burst = burst;
    this.tokens = burst;
  }

  synchronized void deposit() {
    tokens = Math.min(burst, tokens + ratio);
  }

  synchronized boolean tryWithdraw() {
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    return false;
  }
}
