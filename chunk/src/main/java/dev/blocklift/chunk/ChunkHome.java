package dev.blocklift.chunk;

import java.nio.file.Path;

/**
 * Where the chunk module's secrets and state live inside a blocklift home ({@code --home}, {@code
 * BLOCKLIFT_HOME}, default {@code ~/.blocklift}), so that every command and the agent agree.
 */
public final class ChunkHome {
  private ChunkHome() {}

  /** The local keyring (mode 0600). */
  public static Path keyring(Path home) {
    return home.resolve("keyring.json");
  }

  /** The 32-byte service secret salts are derived from (mode 0600). */
  public static Path serviceSecret(Path home) {
    return home.resolve("service-secret");
  }

  /** The salt roots file. */
  public static Path saltRoots(Path home) {
    return home.resolve("salt-roots.json");
  }
}
