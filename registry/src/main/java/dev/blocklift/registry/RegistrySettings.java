package dev.blocklift.registry;

import java.time.Clock;
import java.time.Duration;

/**
 * How to talk to registries: where credentials come from, TLS verification, timeouts and retries.
 *
 * @param tlsVerify false allows unverified HTTPS and plain HTTP for every host (skopeo's {@code
 *     --tls-verify=false}); loopback hosts always allow plain HTTP
 * @param connectTimeout bound on opening a TCP/TLS connection
 * @param readTimeout bound on waiting for response headers and on any silence inside a body
 */
public record RegistrySettings(
    CredentialSource credentials,
    boolean tlsVerify,
    Duration connectTimeout,
    Duration readTimeout,
    RetryPolicy retry,
    Clock clock) {

  public static RegistrySettings defaults() {
    return new RegistrySettings(
        CredentialSource.defaults(),
        true,
        Duration.ofSeconds(30),
        Duration.ofSeconds(60),
        RetryPolicy.DEFAULT,
        Clock.systemUTC());
  }

  public RegistrySettings withCredentials(CredentialSource c) {
    return new RegistrySettings(c, tlsVerify, connectTimeout, readTimeout, retry, clock);
  }

  public RegistrySettings withTlsVerify(boolean v) {
    return new RegistrySettings(credentials, v, connectTimeout, readTimeout, retry, clock);
  }

  public RegistrySettings withTimeouts(Duration connect, Duration read) {
    return new RegistrySettings(credentials, tlsVerify, connect, read, retry, clock);
  }

  public RegistrySettings withRetry(RetryPolicy r) {
    return new RegistrySettings(credentials, tlsVerify, connectTimeout, readTimeout, r, clock);
  }

  public RegistrySettings withClock(Clock c) {
    return new RegistrySettings(credentials, tlsVerify, connectTimeout, readTimeout, retry, c);
  }
}
