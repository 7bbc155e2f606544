package dev.blocklift.registry;

import dev.blocklift.core.ImageRef;
import dev.blocklift.image.Descriptor;
import dev.blocklift.image.ImageSource;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;

/** Settings and helpers shared by the registry tests. */
final class RegistryFixtures {
  private RegistryFixtures() {}

  /** Quick retries and short timeouts, so failure cases finish in seconds. */
  static RegistrySettings fastSettings() {
    return RegistrySettings.defaults()
        .withCredentials(CredentialSource.anonymous())
        .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(10))
        .withRetry(new RetryPolicy(3, Duration.ofMillis(20), Duration.ofMillis(100)));
  }

  static RegistryImageSource open(String ref, RegistrySettings settings) {
    return RegistryImageSource.open((ImageRef.Registry) ImageRef.parse(ref), settings);
  }

  static byte[] readBlob(ImageSource source, Descriptor d) throws IOException {
    try (InputStream in = source.openBlob(d)) {
      return in.readAllBytes();
    }
  }
}
