package dev.blocklift.store;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code ?key=value&...} options of a store URI. Unknown keys are errors, not silently ignored:
 * a misspelt {@code path-stlye=true} must not quietly fall back to the default.
 */
public final class UriQuery {
  private final URI uri;
  private final Map<String, String> values;

  private UriQuery(URI uri, Map<String, String> values) {
    this.uri = uri;
    this.values = values;
  }

  /** Parses the query of {@code uri}, accepting only the keys in {@code allowed}. */
  public static UriQuery parse(URI uri, Set<String> allowed) {
    Map<String, String> values = new LinkedHashMap<>();
    String raw = uri.getRawQuery();
    if (raw != null && !raw.isEmpty()) {
      for (String pair : raw.split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String key =
            URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
        String value =
            eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        if (!allowed.contains(key)) {
          throw new IllegalArgumentException(
              "unknown option \""
                  + key
                  + "\" in store URI "
                  + Stores.redact(uri)
                  + "; known options: "
                  + String.join(", ", new TreeSet<>(allowed)));
        }
        if (values.put(key, value) != null) {
          throw new IllegalArgumentException(
              "option \"" + key + "\" given twice in store URI " + Stores.redact(uri));
        }
      }
    }
    return new UriQuery(uri, values);
  }

  public String get(String key, String defaultValue) {
    return values.getOrDefault(key, defaultValue);
  }

  public boolean has(String key) {
    return values.containsKey(key);
  }

  public boolean getBoolean(String key, boolean defaultValue) {
    String v = values.get(key);
    if (v == null) {
      return defaultValue;
    }
    return switch (v) {
      case "true", "1", "yes", "" -> true;
      case "false", "0", "no" -> false;
      default ->
          throw new IllegalArgumentException(
              "option \""
                  + key
                  + "\" must be true or false, got \""
                  + v
                  + "\" in store URI "
                  + Stores.redact(uri));
    };
  }

  public int getInt(String key, int defaultValue, int min, int max) {
    String v = values.get(key);
    if (v == null) {
      return defaultValue;
    }
    try {
      int n = Integer.parseInt(v);
      if (n < min || n > max) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "option \""
              + key
              + "\" must be a whole number from "
              + min
              + " to "
              + max
              + ", got \""
              + v
              + "\" in store URI "
              + Stores.redact(uri),
          e);
    }
  }
}
