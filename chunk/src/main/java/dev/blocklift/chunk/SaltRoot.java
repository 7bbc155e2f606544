package dev.blocklift.chunk;

import dev.blocklift.core.Hex;
import java.time.Instant;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A salt root: the garbage-collection root that scopes convergent-encryption salts. It goes {@link
 * State#ACTIVE} (new conversions use it) → {@link State#RETIRED} (existing images still read) →
 * {@link State#EXPIRED} (its chunks may be collected; reading one is an alarm).
 */
public record SaltRoot(
    String id, State state, Instant created, Optional<Instant> retired, Optional<Instant> expired) {
  private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

  /** Lifecycle of a root. */
  public enum State {
    ACTIVE,
    RETIRED,
    EXPIRED
  }

  public SaltRoot {
    checkId(id);
    if (state == State.ACTIVE && (retired.isPresent() || expired.isPresent())) {
      throw new IllegalArgumentException("active salt root " + id + " has a retire/expire time");
    }
    if (state == State.RETIRED && (retired.isEmpty() || expired.isPresent())) {
      throw new IllegalArgumentException("retired salt root " + id + " needs only a retire time");
    }
    if (state == State.EXPIRED && (retired.isEmpty() || expired.isEmpty())) {
      throw new IllegalArgumentException("expired salt root " + id + " needs both times");
    }
  }

  static void checkId(String id) {
    if (id == null || !ID.matcher(id).matches()) {
      throw new IllegalArgumentException(
          "salt root id must be 1-64 of [a-z0-9._-], got \""
              + Hex.abbreviate(String.valueOf(id))
              + "\"");
    }
  }

  SaltRoot retire(Instant at) {
    return new SaltRoot(id, State.RETIRED, created, Optional.of(at), Optional.empty());
  }

  SaltRoot expire(Instant at) {
    return new SaltRoot(
        id, State.EXPIRED, created, Optional.of(retired.orElse(at)), Optional.of(at));
  }
}
