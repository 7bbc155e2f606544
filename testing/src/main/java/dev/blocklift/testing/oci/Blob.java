package dev.blocklift.testing.oci;

import java.util.Optional;

/**
 * A blob written by a fixture writer, as a descriptor would name it.
 *
 * @param platform {@code os/arch[/variant]} for manifests, as an index entry would carry it
 */
public record Blob(String mediaType, String digest, long size, Optional<String> platform) {
  public Blob withPlatform(String p) {
    return new Blob(mediaType, digest, size, Optional.of(p));
  }

  public Blob withoutPlatform() {
    return new Blob(mediaType, digest, size, Optional.empty());
  }
}
