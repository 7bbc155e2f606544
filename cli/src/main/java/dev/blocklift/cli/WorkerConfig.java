package dev.blocklift.cli;

import dev.blocklift.chunk.TenantId;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ByteSize;
import dev.blocklift.core.TimeSpan;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Function;

/**
 * How a command's read path is set up, resolved from three layers with the same key names: flags
 * ({@code --memory-cache 1GiB}) override {@code HOME/config.properties} ({@code
 * memory-cache=1GiB}), which overrides the built-in defaults. Every value is validated here, with a
 * message naming where it came from and echoing it; an unknown key in the file is an error.
 *
 * @param store the store URI or directory; empty = the local store {@code HOME/store}
 * @param keys the key service spec: {@code local} (HOME/keyring.json), {@code pkcs11:…}, {@code
 *     awskms:…} (see {@link dev.blocklift.chunk.keys.KeyServices})
 * @param fleet the cache fleet's membership file (one {@code host:port} a line); empty = no L2
 * @param readahead chunks fetched ahead of a sequential reader; -1 = auto
 */
public record WorkerConfig(
    Home home,
    Optional<String> store,
    TenantId tenant,
    String keys,
    Optional<Path> fleet,
    Path cacheDir,
    ByteSize memoryCache,
    ByteSize diskCache,
    ByteSize plaintextCache,
    int readahead,
    TimeSpan fetchTimeout,
    TimeSpan retryAfter) {

  /** The keys, in the order {@code --help} and messages list them. */
  static final List<String> KEYS =
      List.of(
          "store",
          "tenant",
          "keys",
          "fleet",
          "cache-dir",
          "memory-cache",
          "disk-cache",
          "plaintext-cache",
          "readahead",
          "fetch-timeout",
          "retry-after");

  /** The built-in defaults ({@code cache-dir} and {@code store} default to places in HOME). */
  static final Map<String, String> DEFAULTS =
      Map.of(
          "tenant", "default",
          "keys", "local",
          "memory-cache", "512MiB",
          "disk-cache", "4GiB",
          "plaintext-cache", "256MiB",
          "readahead", "0",
          "fetch-timeout", "30s",
          "retry-after", "5s");

  /** The file in {@code home} that holds configured values. */
  static Path file(Home home) {
    return home.config();
  }

  /**
   * Resolves the configuration of {@code home}: {@code flags} (key → value, absent = not given)
   * over the config file over the defaults.
   */
  static WorkerConfig resolve(Home home, Map<String, String> flags) throws IOException {
    for (String k : flags.keySet()) {
      if (!KEYS.contains(k)) {
        throw new IllegalArgumentException("unknown option key \"" + k + "\"");
      }
    }
    Path file = file(home);
    Map<String, String> configured = read(file);
    Layers l = new Layers(home, file, flags, configured);
    return new WorkerConfig(
        home,
        l.optional("store", s -> s),
        l.value("tenant", TenantId::of),
        l.value("keys", WorkerConfig::checkKeys),
        l.optionalPath("fleet"),
        l.optionalPath("cache-dir").orElse(home.dir().resolve("cache")),
        l.value("memory-cache", ByteSize::parse),
        l.value("disk-cache", ByteSize::parse),
        l.value("plaintext-cache", ByteSize::parse),
        l.value("readahead", WorkerConfig::parseReadahead),
        l.value("fetch-timeout", t -> TimeSpan.parse(t).requirePositive("fetch-timeout")),
        l.value("retry-after", TimeSpan::parse));
  }

  /** The config file's entries, checked against {@link #KEYS}; empty if there is no file. */
  static Map<String, String> read(Path file) throws IOException {
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      p.load(in);
    } catch (NoSuchFileException e) {
      return Map.of();
    } catch (IllegalArgumentException e) {
      throw new BlockliftException("malformed " + file + ": " + e.getMessage(), e);
    }
    Map<String, String> m = new LinkedHashMap<>();
    for (String k : p.stringPropertyNames().stream().sorted().toList()) {
      if (!KEYS.contains(k)) {
        throw new BlockliftException(
            "unknown key \"" + k + "\" in " + file + "; known keys: " + String.join(", ", KEYS));
      }
      String v = p.getProperty(k).strip();
      if (!v.isEmpty()) {
        m.put(k, v);
      }
    }
    return m;
  }

  static int parseReadahead(String text) {
    String t = text.strip();
    if (t.equalsIgnoreCase("auto")) {
      return -1;
    }
    try {
      int n = Integer.parseInt(t);
      if (n >= 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        "readahead must be auto or a number of chunks >= 0, got \"" + text + "\"");
  }

  private static String checkKeys(String spec) {
    if (spec.equals("local")
        || spec.equals("keyring")
        || spec.startsWith("keyring:")
        || spec.startsWith("pkcs11:")
        || spec.startsWith("awskms:")) {
      return spec;
    }
    throw new IllegalArgumentException(
        "key service must be local, pkcs11:library=LIB,slot=N,pin-file=FILE or"
            + " awskms:KEY-ID[,region=R], got \""
            + spec
            + "\"");
  }

  /** The three layers, and where a value came from for messages. */
  private record Layers(
      Home home, Path file, Map<String, String> flags, Map<String, String> configured) {
    <T> T value(String key, Function<String, T> parse) {
      return optional(key, parse)
          .orElseGet(() -> parse(DEFAULTS.get(key), "the default " + key, parse));
    }

    <T> Optional<T> optional(String key, Function<String, T> parse) {
      if (flags.containsKey(key)) {
        return Optional.of(parse(flags.get(key), "--" + key, parse));
      }
      if (configured.containsKey(key)) {
        return Optional.of(parse(configured.get(key), key + "= in " + file, parse));
      }
      return Optional.empty();
    }

    /** A path: relative ones in the file are taken relative to HOME, flags relative to the cwd. */
    Optional<Path> optionalPath(String key) {
      Function<String, Path> asPath = Path::of;
      if (flags.containsKey(key)) {
        return Optional.of(parse(flags.get(key), "--" + key, asPath));
      }
      if (configured.containsKey(key)) {
        Path p = parse(configured.get(key), key + "= in " + file, asPath);
        return Optional.of(home.dir().resolve(p));
      }
      return Optional.empty();
    }

    private static <T> T parse(String text, String where, Function<String, T> parse) {
      try {
        return parse.apply(text);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
      }
    }
  }
}
