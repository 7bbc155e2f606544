package dev.blocklift.cli;

import dev.blocklift.chunk.SaltRoots;
import dev.blocklift.chunk.ServiceSecret;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

/**
 * The blocklift home directory ({@code --home}, else {@code BLOCKLIFT_HOME}, else {@code
 * ~/.blocklift}); layout in docs/stores.md:
 *
 * <pre>
 *   config.properties   optional: the read path's keys, e.g. store=URI, keys=SPEC, fleet=FILE
 *                       (WorkerConfig; flags of the same name override them)
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

  /** {@code HOME/config.properties}. */
  public Path config() {
    return dir.resolve("config.properties");
  }

  Path ensure() throws IOException {
    Files.createDirectories(dir);
    return dir;
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
