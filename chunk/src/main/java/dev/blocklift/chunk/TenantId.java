package dev.blocklift.chunk;

import dev.blocklift.core.Hex;
import java.util.regex.Pattern;

/**
 * A tenant: whoever may open a manifest. Lower-case letters, digits, {@code . _ -}, 1 to 64
 * characters, starting with a letter or digit ({@code default} when none is given), so it is safe
 * in key labels, file names and KMS encryption contexts.
 */
public record TenantId(String value) implements Comparable<TenantId> {
  private static final Pattern FORMAT = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
  public static final TenantId DEFAULT = new TenantId("default");

  public TenantId {
    if (value == null || !FORMAT.matcher(value).matches()) {
      throw new IllegalArgumentException(
          "tenant must be 1-64 lower-case letters, digits, '.', '_' or '-' (e.g. team-a), got \""
              + Hex.abbreviate(String.valueOf(value))
              + "\"");
    }
  }

  public static TenantId of(String value) {
    return new TenantId(value);
  }

  @Override
  public int compareTo(TenantId o) {
    return value.compareTo(o.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
