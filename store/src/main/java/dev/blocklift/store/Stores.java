package dev.blocklift.store;

import dev.blocklift.store.local.LocalStoreProvider;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;

/**
 * Opens a store from its URI: {@code file:///var/lib/blocklift/store} (built in) or any scheme a
 * {@link StoreProvider} on the class path registers (e.g. {@code s3://bucket/prefix?...}).
 */
public final class Stores {
  private Stores() {}

  /** Opens the store at {@code uri}; the message of a bad URI names it and the known schemes. */
  public static Store open(URI uri) throws IOException {
    String scheme = uri.getScheme();
    if (scheme == null) {
      throw new IllegalArgumentException(
          "store URI "
              + redact(uri)
              + " has no scheme; use file:///absolute/path or s3://bucket/prefix");
    }
    String wanted = scheme.toLowerCase(Locale.ROOT);
    List<StoreProvider> providers = providers();
    for (StoreProvider p : providers) {
      if (p.scheme().equals(wanted)) {
        return p.open(uri);
      }
    }
    List<String> known = new ArrayList<>();
    providers.forEach(p -> known.add(p.scheme() + "://"));
    throw new IllegalArgumentException(
        "unsupported store URI scheme \""
            + scheme
            + "\" in "
            + redact(uri)
            + "; supported: "
            + String.join(", ", known));
  }

  /**
   * Opens a store given as on a command line: a URI with a scheme, or a plain directory path (made
   * absolute) for the local store.
   */
  public static Store open(String text) throws IOException {
    return open(parse(text));
  }

  /** Parses a store argument: a URI with a scheme, or a directory path. */
  public static URI parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("store URI must not be empty");
    }
    if (!text.contains("://")) {
      return Path.of(text).toAbsolutePath().normalize().toUri();
    }
    try {
      return new URI(text);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(
          "malformed store URI \"" + text + "\": " + e.getReason(), e);
    }
  }

  /** The providers on the class path, the built-in local one first. */
  public static List<StoreProvider> providers() {
    List<StoreProvider> all = new ArrayList<>();
    all.add(new LocalStoreProvider());
    for (StoreProvider p : ServiceLoader.load(StoreProvider.class, Stores.class.getClassLoader())) {
      if (!p.scheme().equals("file")) {
        all.add(p);
      }
    }
    return all;
  }

  /** The URI without user info, for messages and logs. */
  public static String redact(URI uri) {
    if (uri.getRawUserInfo() == null) {
      return uri.toString();
    }
    return uri.toString().replace(uri.getRawUserInfo() + "@", "***@");
  }
}
