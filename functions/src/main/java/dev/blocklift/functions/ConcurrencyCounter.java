package dev.blocklift.functions;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * The counting service: how many invokes of each function (and of the whole account) run at once,
 * against their limits. One worker counts in memory ({@link LocalConcurrency}); a frontend over
 * many workers counts across them behind the same interface.
 */
interface ConcurrencyCounter {
  /**
   * Takes one slot for an invoke of {@code function}; empty when it got one, else Lambda's throttle
   * reason ({@code ReservedFunctionConcurrentInvocationLimitExceeded} or {@code
   * ConcurrentInvocationLimitExceeded}).
   */
  Optional<String> tryAcquire(FunctionName function, OptionalInt reserved);

  /** Gives back a slot {@link #tryAcquire} took. */
  void release(FunctionName function);

  /** Invokes of {@code function} running now. */
  int running(FunctionName function);
}
