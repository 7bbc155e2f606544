package dev.blocklift.registry;

import dev.blocklift.core.BlockliftException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * HTTP to one registry host, on the JDK client. One request goes through four layers of policy:
 *
 * <ol>
 *   <li>scheme: HTTPS with the system trust store; plain HTTP for loopback hosts ({@code
 *       localhost}, {@code 127.*}, {@code [::1]}); with {@code --tls-verify=false}, HTTPS without
 *       certificate checks, and a TLS failure on the first exchange switches this client to plain
 *       HTTP for good (as docker does for insecure registries);
 *   <li>auth: a 401 from the registry feeds {@link RegistryAuth} and the request is sent once more
 *       with Basic or Bearer credentials;
 *   <li>redirects: followed by hand (at most 5), carrying the Authorization header only to the
 *       registry's own origin, never to blob storage on another host;
 *   <li>retries: 5xx, 429 and I/O failures (reset, refused, timeout) are retried with backoff up to
 *       {@link RetryPolicy#maxAttempts()}.
 * </ol>
 *
 * Bodies stream through {@link StreamingBody}, so every wait is bounded by the read timeout. The
 * client is safe for concurrent use.
 */
final class RegistryClient implements AutoCloseable {
  private static final int MAX_REDIRECTS = 5;

  private final String host;
  private final RegistrySettings settings;
  private final boolean httpFallback;
  private final HttpClient http;
  private final RegistryAuth auth;
  private volatile String scheme; // null until the first exchange decides https vs http

  RegistryClient(String host, RegistrySettings settings, Optional<Credentials> credentials) {
    this.host = host;
    this.settings = settings;
    this.httpFallback = !settings.tlsVerify();
    if (isLoopback(host)) {
      // Not probing TLS first: a plain HTTP server may never answer a ClientHello.
      this.scheme = "http";
    }
    HttpClient.Builder b =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(settings.connectTimeout());
    if (!settings.tlsVerify()) {
      b.sslContext(InsecureTls.context());
    }
    this.http = b.build();
    this.auth = new RegistryAuth(host, credentials, settings.clock());
  }

  static boolean isLoopback(String hostPort) {
    String h = hostPort.toLowerCase(Locale.ROOT);
    if (h.startsWith("[")) {
      return h.startsWith("[::1]");
    }
    int colon = h.indexOf(':');
    String name = colon >= 0 ? h.substring(0, colon) : h;
    return name.equals("localhost") || name.startsWith("127.");
  }

  String host() {
    return host;
  }

  /**
   * GETs {@code path} (e.g. {@code /v2/library/debian/manifests/12}) in auth {@code scope}. Returns
   * the final response, which may be any non-retryable status for the caller to judge; a 401 that
   * credentials cannot fix and exhausted retries throw.
   */
  RegistryResponse get(String path, Map<String, String> headers, String scope, String what)
      throws IOException {
    RetryPolicy retry = settings.retry();
    boolean authRetried = false;
    int attempt = 0;
    while (true) {
      attempt++;
      try {
        Optional<String> authorization = auth.header(scope, this::getToken);
        RegistryResponse r = follow(path, headers, authorization, what);
        if (r.status() == 401 && sameOrigin(r.uri())) {
          java.util.List<String> challenges = r.headers().allValues("www-authenticate");
          r.close();
          auth.onUnauthorized(challenges, scope, authorization, authRetried);
          authRetried = true;
          attempt--;
          continue;
        }
        if (retryable(r.status()) && attempt < retry.maxAttempts()) {
          r.close();
          retry.sleepBefore(attempt + 1);
          continue;
        }
        if (retryable(r.status())) {
          String summary = r.errorSummary();
          throw new BlockliftException(
              what + " failed after " + attempt + " attempts: " + summary + " from " + host);
        }
        return r;
      } catch (IOException e) {
        if (Thread.currentThread().isInterrupted()) {
          throw e;
        }
        if (causedByTls(e)) {
          // A certificate or protocol mismatch does not heal by retrying.
          throw new BlockliftException(
              what
                  + ": TLS to "
                  + host
                  + " failed ("
                  + describe(e)
                  + "); for a registry with a self-signed certificate pass --tls-verify=false",
              e);
        }
        if (attempt >= retry.maxAttempts()) {
          throw exhausted(what, attempt, e);
        }
        retry.sleepBefore(attempt + 1);
      }
    }
  }

  private IOException exhausted(String what, int attempts, IOException e) {
    return new IOException(
        what + " failed after " + attempts + " attempts talking to " + host + ": " + describe(e),
        e);
  }

  static String describe(Throwable e) {
    String m = e.getMessage();
    String name = e.getClass().getSimpleName();
    return m == null || m.isEmpty() ? name : name + ": " + m;
  }

  private static boolean retryable(int status) {
    return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
  }

  /** One exchange, following redirects; a TLS failure may switch an insecure host to http. */
  private RegistryResponse follow(
      String path, Map<String, String> headers, Optional<String> authorization, String what)
      throws IOException {
    String s = scheme;
    try {
      RegistryResponse r = followWith(s == null ? "https" : s, path, headers, authorization, what);
      if (s == null) {
        scheme = "https";
      }
      return r;
    } catch (IOException e) {
      if (s == null && httpFallback && causedByTls(e)) {
        scheme = "http";
        return followWith("http", path, headers, authorization, what);
      }
      throw e;
    }
  }

  private static boolean causedByTls(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SSLException) {
        return true;
      }
    }
    return false;
  }

  private RegistryResponse followWith(
      String useScheme,
      String path,
      Map<String, String> headers,
      Optional<String> authorization,
      String what)
      throws IOException {
    URI uri = URI.create(useScheme + "://" + host + path);
    for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(uri)
              .GET()
              .timeout(settings.readTimeout())
              .header("User-Agent", "blocklift");
      headers.forEach(b::header);
      if (authorization.isPresent() && sameOrigin(uri)) {
        b.header("Authorization", authorization.get());
      }
      RegistryResponse r = send(b.build(), what);
      if (isRedirect(r.status())) {
        Optional<String> location = r.headers().firstValue("location");
        r.close();
        if (location.isEmpty()) {
          throw new IOException(what + ": HTTP " + r.status() + " redirect without a Location");
        }
        try {
          uri = uri.resolve(location.get());
        } catch (IllegalArgumentException e) {
          throw new IOException(what + ": redirect to a malformed Location", e);
        }
        if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme())) {
          throw new IOException(what + ": redirect to a non-http(s) location " + uri.getScheme());
        }
        continue;
      }
      return r;
    }
    throw new IOException(what + ": more than " + MAX_REDIRECTS + " redirects");
  }

  private static boolean isRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  }

  private RegistryResponse send(HttpRequest request, String what) throws IOException {
    StreamingBody body = new StreamingBody(settings.readTimeout(), what);
    try {
      HttpResponse<java.io.InputStream> resp = http.send(request, info -> body);
      return new RegistryResponse(resp.statusCode(), resp.headers(), resp.body(), resp.uri());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      body.close();
      InterruptedIOException io = new InterruptedIOException("interrupted: " + what);
      io.initCause(e);
      throw io;
    } catch (IOException e) {
      body.close();
      throw e;
    }
  }

  /** True if {@code uri} is the registry itself (the only place our credentials may go). */
  private boolean sameOrigin(URI uri) {
    String s = scheme;
    String authority = uri.getRawAuthority();
    return authority != null
        && authority.equalsIgnoreCase(host)
        && (s == null || s.equals(uri.getScheme()) || "https".equals(uri.getScheme()));
  }

  /** Token endpoint requests: the realm's host gets Basic credentials, by the protocol's design. */
  private RegistryResponse getToken(URI uri, Optional<String> authorization) throws IOException {
    RetryPolicy retry = settings.retry();
    int attempt = 0;
    while (true) {
      attempt++;
      try {
        HttpRequest.Builder b =
            HttpRequest.newBuilder(uri)
                .GET()
                .timeout(settings.readTimeout())
                .header("User-Agent", "blocklift");
        authorization.ifPresent(a -> b.header("Authorization", a));
        RegistryResponse r = send(b.build(), "token request to " + uri.getHost());
        if (retryable(r.status()) && attempt < retry.maxAttempts()) {
          r.close();
          retry.sleepBefore(attempt + 1);
          continue;
        }
        return r;
      } catch (IOException e) {
        if (attempt >= retry.maxAttempts() || Thread.currentThread().isInterrupted()) {
          throw new IOException(
              "token request to "
                  + uri.getHost()
                  + " failed after "
                  + attempt
                  + " attempts: "
                  + describe(e),
              e);
        }
        retry.sleepBefore(attempt + 1);
      }
    }
  }

  @Override
  public void close() {
    http.shutdownNow();
  }
}
