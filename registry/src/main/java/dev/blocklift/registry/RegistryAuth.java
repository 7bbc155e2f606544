package dev.blocklift.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.blocklift.core.BlockliftException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The registry's authentication state: nothing until the registry challenges us, then Basic with
 * the user's credentials, or Bearer tokens fetched from the challenge's realm (with Basic
 * credentials if we have any, anonymously otherwise) and cached per scope until they expire.
 * Secrets only ever go into Authorization headers; messages name the user at most.
 */
final class RegistryAuth {
  /** Fetches {@code uri} with an optional Authorization header, for the token endpoint. */
  @FunctionalInterface
  interface TokenTransport {
    RegistryResponse get(URI uri, Optional<String> authorization) throws IOException;
  }

  private record Token(String value, Instant expires) {
    @Override
    public String toString() {
      return "Token[<redacted>, expires=" + expires + "]";
    }
  }

  private final String host;
  private final Optional<Credentials> credentials;
  private final Clock clock;
  private final Map<String, Token> tokens = new ConcurrentHashMap<>();
  private volatile AuthChallenge challenge;

  RegistryAuth(String host, Optional<Credentials> credentials, Clock clock) {
    this.host = host;
    this.credentials = credentials;
    this.clock = clock;
  }

  /** The Authorization header for a request to the registry in {@code scope}, if any is known. */
  Optional<String> header(String scope, TokenTransport transport) throws IOException {
    AuthChallenge c = challenge;
    if (c == null) {
      return Optional.empty();
    }
    if (c.scheme().equals("basic")) {
      return credentials.map(Credentials::basicHeader);
    }
    Token t = tokens.get(scope);
    if (t == null || !clock.instant().isBefore(t.expires())) {
      synchronized (this) {
        t = tokens.get(scope);
        if (t == null || !clock.instant().isBefore(t.expires())) {
          t = fetchToken(c, scope, transport);
          tokens.put(scope, t);
        }
      }
    }
    return Optional.of("Bearer " + t.value());
  }

  /**
   * Takes a 401's challenge. Returns normally when another try may succeed (a first challenge, or
   * an expired token); throws when the credentials we sent were refused or are needed.
   */
  void onUnauthorized(
      List<String> wwwAuthenticate, String scope, Optional<String> sent, boolean retriedBefore) {
    AuthChallenge c =
        AuthChallenge.choose(wwwAuthenticate)
            .orElseThrow(
                () ->
                    new BlockliftException(
                        host
                            + " answered 401 Unauthorized without a usable WWW-Authenticate"
                            + " challenge (Basic or Bearer)"));
    if (retriedBefore || (sent.isPresent() && !sent.get().startsWith("Bearer "))) {
      throw rejected(scope);
    }
    if (c.scheme().equals("basic") && credentials.isEmpty()) {
      throw needsCredentials();
    }
    if (c.scheme().equals("bearer") && c.param("realm").isEmpty()) {
      throw new BlockliftException(host + " sent a Bearer challenge without a realm");
    }
    challenge = c;
    tokens.remove(scope);
  }

  /** The error for a 401 on a request that carried our credentials or token. */
  BlockliftException rejected(String scope) {
    if (credentials.isPresent()) {
      return new BlockliftException(
          host
              + " rejected the credentials of user \""
              + credentials.get().username()
              + "\" for "
              + scope
              + " (HTTP 401); check --creds / --authfile");
    }
    return needsCredentials();
  }

  private BlockliftException needsCredentials() {
    return new BlockliftException(
        host
            + " requires authentication (HTTP 401); pass --creds USER:PASSWORD or --authfile FILE,"
            + " or add the host to ~/.docker/config.json");
  }

  private Token fetchToken(AuthChallenge c, String scope, TokenTransport transport)
      throws IOException {
    String realm = c.param("realm").orElseThrow();
    StringBuilder q = new StringBuilder(realm).append(realm.contains("?") ? '&' : '?');
    c.param("service").ifPresent(s -> q.append("service=").append(enc(s)).append('&'));
    q.append("scope=").append(enc(scope));
    URI uri;
    try {
      uri = URI.create(q.toString());
    } catch (IllegalArgumentException e) {
      throw new BlockliftException(host + " sent a Bearer realm that is not a URL: " + realm, e);
    }
    if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme())) {
      throw new BlockliftException(host + " sent a Bearer realm that is not http(s): " + realm);
    }
    try (RegistryResponse r = transport.get(uri, credentials.map(Credentials::basicHeader))) {
      if (r.status() == 401 || r.status() == 403) {
        if (credentials.isPresent()) {
          throw new BlockliftException(
              "token service "
                  + uri.getHost()
                  + " rejected the credentials of user \""
                  + credentials.get().username()
                  + "\" for "
                  + scope
                  + " (HTTP "
                  + r.status()
                  + "); check --creds / --authfile");
        }
        throw needsCredentials();
      }
      if (!r.ok()) {
        throw new BlockliftException(
            "token service " + uri.getHost() + " failed for " + scope + ": " + r.errorSummary());
      }
      JsonNode json;
      try (InputStream in = r.body()) {
        json = new ObjectMapper().readTree(in.readNBytes(1 << 20));
      } catch (IOException e) {
        throw new BlockliftException(
            "token service " + uri.getHost() + " sent a response that is not JSON", e);
      }
      String token = json.path("token").asText("");
      if (token.isEmpty()) {
        token = json.path("access_token").asText("");
      }
      if (token.isEmpty()) {
        throw new BlockliftException(
            "token service " + uri.getHost() + " sent no token for " + scope);
      }
      long expiresIn = Math.max(60, json.path("expires_in").asLong(60));
      // Renew a little early so a token does not expire between check and use.
      Instant expires = clock.instant().plus(Duration.ofSeconds(expiresIn - 10));
      return new Token(token, expires);
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
