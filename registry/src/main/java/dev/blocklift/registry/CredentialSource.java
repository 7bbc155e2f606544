package dev.blocklift.registry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Finds the credentials to use for a registry host, if any. */
@FunctionalInterface
public interface CredentialSource {
  Optional<Credentials> lookup(String host);

  static CredentialSource anonymous() {
    return host -> Optional.empty();
  }

  /** The same credentials for every host (skopeo's {@code --creds}). */
  static CredentialSource fixed(Credentials credentials) {
    return host -> Optional.of(credentials);
  }

  /**
   * The default: {@code $DOCKER_CONFIG/config.json} or {@code ~/.docker/config.json} when it
   * exists, else anonymous. Read on first lookup, so a broken file only matters when used.
   */
  static CredentialSource defaults() {
    String dockerConfig = System.getenv("DOCKER_CONFIG");
    Path file =
        dockerConfig != null && !dockerConfig.isEmpty()
            ? Path.of(dockerConfig, "config.json")
            : Path.of(System.getProperty("user.home"), ".docker", "config.json");
    return new CredentialSource() {
      private CredentialSource delegate;

      @Override
      public synchronized Optional<Credentials> lookup(String host) {
        if (delegate == null) {
          delegate = Files.isRegularFile(file) ? DockerConfigCredentials.load(file) : anonymous();
        }
        return delegate.lookup(host);
      }
    };
  }
}
