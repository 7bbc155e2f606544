package dev.blocklift.functions;

import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link ConcurrencyCounter} of one worker: per-function counts under one lock, with an account
 * limit over all functions (Lambda's per-region concurrency, 1000 by default).
 */
final class LocalConcurrency implements ConcurrencyCounter {
  private final int accountLimit;
  private final Map<FunctionName, Integer> running = new ConcurrentHashMap<>();
  private int total;

  LocalConcurrency(int accountLimit) {
    if (accountLimit < 1) {
      throw new IllegalArgumentException(
          "account concurrency must be 1 or more, got " + accountLimit);
    }
    this.accountLimit = accountLimit;
  }

  @Override
  public synchronized Optional<String> tryAcquire(FunctionName function, OptionalInt reserved) {
    int now = running.getOrDefault(function, 0);
    if (reserved.isPresent() && now >= reserved.getAsInt()) {
      return Optional.of("ReservedFunctionConcurrentInvocationLimitExceeded");
    }
    if (total >= accountLimit) {
      return Optional.of("ConcurrentInvocationLimitExceeded");
    }
    running.put(function, now + 1);
    total++;
    return Optional.empty();
  }

  @Override
  public synchronized void release(FunctionName function) {
    int now = running.getOrDefault(function, 0);
    if (now <= 0) {
      throw new IllegalStateException("release of " + function + " with no invoke running");
    }
    if (now == 1) {
      running.remove(function);
    } else {
      running.put(function, now - 1);
    }
    total--;
  }

  @Override
  public int running(FunctionName function) {
    return running.getOrDefault(function, 0);
  }
}
