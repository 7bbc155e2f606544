package dev.blocklift.cli;

import dev.blocklift.registry.CredentialSource;
import dev.blocklift.registry.Credentials;
import dev.blocklift.registry.DockerConfigCredentials;
import dev.blocklift.registry.RegistrySettings;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Registry options shared by every command that reads {@code docker://} images, as a picocli mixin:
 * {@code @Mixin RegistryOptions registry;}. The names and meanings follow skopeo.
 */
public final class RegistryOptions {
  @Option(
      names = "--creds",
      paramLabel = "USER:PASSWORD",
      description =
          "Credentials for the registry (default: the host's entry in ~/.docker/config.json)."
              + " Never printed.")
  String creds;

  @Option(
      names = "--authfile",
      paramLabel = "FILE",
      description = "A docker config.json / containers auth.json to take credentials from.")
  Path authfile;

  @Option(
      names = "--tls-verify",
      arity = "0..1",
      paramLabel = "BOOL",
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "Verify registry TLS certificates (default: ${DEFAULT-VALUE}). false also allows plain"
              + " HTTP. localhost and 127.0.0.1 always use plain HTTP.")
  boolean tlsVerify = true;

  /**
   * The settings these options select: credentials from --creds, else --authfile, else docker's.
   */
  public RegistrySettings settings() {
    CredentialSource credentials;
    if (creds != null) {
      if (authfile != null) {
        throw new IllegalArgumentException(
            "--creds and --authfile " + authfile + " are exclusive; give one of them");
      }
      credentials = CredentialSource.fixed(Credentials.parse(creds));
    } else if (authfile != null) {
      credentials = DockerConfigCredentials.load(authfile);
    } else {
      credentials = CredentialSource.defaults();
    }
    return RegistrySettings.defaults().withCredentials(credentials).withTlsVerify(tlsVerify);
  }

  @Override
  public String toString() {
    return "RegistryOptions[creds="
        + (creds == null ? "none" : "<redacted>")
        + ", authfile="
        + authfile
        + ", tlsVerify="
        + tlsVerify
        + "]";
  }
}
