package dev.blocklift.cli;

import dev.blocklift.chunk.SaltRoots;
import dev.blocklift.chunk.ServiceSecret;
import dev.blocklift.chunk.keys.LocalKeyring;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.store.FsyncPolicy;
import dev.blocklift.store.Store;
import dev.blocklift.store.Stores;
import dev.blocklift.store.local.LocalStoreProvider;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.Properties;

/**
 * The blocklift home directory ({@code --home}, else {@code BLOCKLIFT_HOME}, else {@code
 * ~/.blocklift}); layout in docs/stores.md:
 *
 * <pre>
 *   config.properties   optional: store=URI (the default for --store)
 *   keyring.json        tenant keys (0600)
 *   service-secret      32 random bytes salts are derived from (0600)
 *   salt-roots.json     salt roots: active, retired, expired
 *   store/              the local store: chunks/ab/cd/NAME, manifests/REPO/_tags/TAG
 *   tmp/                scratch (flattened devices during convert)
 * </pre>
 */
public final class Home {
  private final Path dir;
  private final Clock clock;

  Home(Path dir, Clock clock) {
    this.dir = dir.toAbsolutePath().normalize();
    this.clock = clock;
  }

  /** The home chosen by the option, then the environment, then the default. */
  static Home resolve(Path option) {
    if (option != null) {
      return new Home(option, Clock.systemUTC());
    }
    String env = System.getenv("BLOCKLIFT_HOME");
    if (env != null && !env.isBlank()) {
      return new Home(Path.of(env), Clock.systemUTC());
    }
    return new Home(Path.of(System.getProperty("user.home"), ".blocklift"), Clock.systemUTC());
  }

  public Path dir() {
    return dir;
  }

  public Path tmp() {
    return dir.resolve("tmp");
  }

  public Path localStore() {
    return dir.resolve("store");
  }

  Path ensure() throws IOException {
    Files.createDirectories(dir);
    return dir;
  }

  /**
   * Opens the store: the given URI or path, else {@code store=} from the config, else the local.
   */
  public Store openStore(String uri) throws IOException {
    ensure();
    Optional<String> chosen =
        uri != null && !uri.isBlank() ? Optional.of(uri) : configured("store");
    if (chosen.isPresent()) {
      return Stores.open(chosen.get());
    }
    return LocalStoreProvider.open(localStore(), FsyncPolicy.FULL);
  }

  private Optional<String> configured(String key) throws IOException {
    Path config = dir.resolve("config.properties");
    if (!Files.exists(config)) {
      return Optional.empty();
    }
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(config)) {
      p.load(in);
    } catch (IllegalArgumentException e) {
      throw new BlockliftException("malformed " + config + ": " + e.getMessage(), e);
    }
    return Optional.ofNullable(p.getProperty(key)).map(String::trim).filter(s -> !s.isEmpty());
  }

  public LocalKeyring keys() throws IOException {
    ensure();
    return LocalKeyring.open(dir.resolve("keyring.json"), clock);
  }

  public ServiceSecret secret() throws IOException {
    ensure();
    return ServiceSecret.loadOrCreate(dir.resolve("service-secret"));
  }

  public SaltRoots roots() throws IOException {
    ensure();
    return new SaltRoots(dir.resolve("salt-roots.json"), clock);
  }
}
