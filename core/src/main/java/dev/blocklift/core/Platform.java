package dev.blocklift.core;

import java.util.Optional;

/**
 * An OCI platform, {@code os/architecture[/variant]}, e.g. {@code linux/amd64}, {@code
 * linux/arm64/v8}.
 */
public record Platform(String os, String architecture, Optional<String> variant) {
  public static final Platform LINUX_AMD64 = new Platform("linux", "amd64", Optional.empty());

  public Platform {
    if (os == null || os.isEmpty() || architecture == null || architecture.isEmpty()) {
      throw new IllegalArgumentException("platform needs an os and an architecture");
    }
  }

  public static Platform parse(String text) {
    String[] parts = text.split("/", -1);
    if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
      throw new IllegalArgumentException(
          "platform must look like linux/amd64 or linux/arm64/v8, got \""
              + Hex.abbreviate(text)
              + "\"");
    }
    return new Platform(
        parts[0], parts[1], parts.length == 3 ? Optional.of(parts[2]) : Optional.empty());
  }

  /** True if an index entry's platform satisfies this request (a missing variant matches any). */
  public boolean matches(String os, String architecture, String variant) {
    return this.os.equals(os)
        && this.architecture.equals(architecture)
        && (this.variant.isEmpty() || this.variant.get().equals(variant));
  }

  @Override
  public String toString() {
    return os + "/" + architecture + variant.map(v -> "/" + v).orElse("");
  }
}
