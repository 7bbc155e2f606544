package dev.blocklift.chunk;

/**
 * Told when something is read under an expired salt root, which must never pass silently. The
 * default, {@link #FAIL}, throws {@link ExpiredSaltRootException}; a server that must keep serving
 * can install a listener that raises an alarm (log at error level, a metric) and returns.
 */
@FunctionalInterface
public interface SaltRootListener {
  SaltRootListener FAIL =
      (root, what) -> {
        throw new ExpiredSaltRootException(root, what);
      };

  /**
   * Called for every read under an expired root.
   *
   * @param what what is being read, e.g. {@code manifest team/app:1}
   */
  void expiredRootRead(SaltRoot root, String what);
}
