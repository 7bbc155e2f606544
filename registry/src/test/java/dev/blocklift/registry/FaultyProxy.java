package dev.blocklift.registry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP proxy in front of the real registry that misbehaves on demand: cuts blob bodies short
 * (the connection drops before Content-Length bytes), demands its own Basic auth, or redirects blob
 * requests to another host. It records what it saw, for assertions.
 */
final class FaultyProxy implements AutoCloseable {
  private final HttpServer server;
  private final HttpClient upstream =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final String upstreamHost;

  /** Blob responses still to cut short, and after how many bytes. */
  final AtomicInteger cutsLeft = new AtomicInteger();

  volatile long cutAfter = 1000;

  /** If set, requests without exactly this Authorization get a 401 Basic challenge. */
  volatile String requiredAuthorization;

  /** If set, blob GETs answer 307 to this base URL + the same path. */
  volatile String redirectBlobsTo;

  /** Requests still to answer with 503 before behaving. */
  final AtomicInteger unavailableLeft = new AtomicInteger();

  /** If set, blob bodies send a few bytes and then go silent for a minute. */
  volatile boolean stallBlobs;

  final AtomicInteger rangeRequests = new AtomicInteger();
  final List<String> authorizationsSeen = new CopyOnWriteArrayList<>();

  FaultyProxy(String upstreamHost) throws IOException {
    this.upstreamHost = upstreamHost;
    server =
        HttpServer.create(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/", this::handle);
    server.start();
  }

  String host() {
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String path = ex.getRequestURI().getRawPath();
      String auth = ex.getRequestHeaders().getFirst("Authorization");
      authorizationsSeen.add(auth == null ? "none" : auth);
      String required = requiredAuthorization;
      if (required != null && !required.equals(auth)) {
        ex.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"proxy\"");
        ex.sendResponseHeaders(401, -1);
        return;
      }
      if (unavailableLeft.getAndDecrement() > 0) {
        ex.sendResponseHeaders(503, -1);
        return;
      }
      boolean blob = path.contains("/blobs/");
      String range = ex.getRequestHeaders().getFirst("Range");
      if (blob && range != null) {
        rangeRequests.incrementAndGet();
      }
      String redirect = redirectBlobsTo;
      if (blob && redirect != null) {
        ex.getResponseHeaders().add("Location", redirect + path + "?signature=abc");
        ex.sendResponseHeaders(307, -1);
        return;
      }
      HttpRequest.Builder b =
          HttpRequest.newBuilder(URI.create("http://" + upstreamHost + path))
              .timeout(Duration.ofSeconds(30))
              .method(ex.getRequestMethod(), HttpRequest.BodyPublishers.noBody());
      for (String h : List.of("Accept", "Range")) {
        String v = ex.getRequestHeaders().getFirst(h);
        if (v != null) {
          b.header(h, v);
        }
      }
      HttpResponse<InputStream> resp;
      try {
        resp = upstream.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      }
      for (String h : List.of("Content-Type", "Docker-Content-Digest", "Content-Range")) {
        resp.headers().firstValue(h).ifPresent(v -> ex.getResponseHeaders().add(h, v));
      }
      long length = resp.headers().firstValueAsLong("Content-Length").orElse(0);
      try (InputStream in = resp.body()) {
        if (ex.getRequestMethod().equals("HEAD") || length == 0) {
          ex.sendResponseHeaders(resp.statusCode(), -1);
          return;
        }
        ex.sendResponseHeaders(resp.statusCode(), length);
        OutputStream out = ex.getResponseBody();
        if (blob && stallBlobs) {
          out.write(in.readNBytes(100));
          out.flush();
          Thread.sleep(60_000);
          return;
        }
        if (blob && resp.statusCode() / 100 == 2 && cutsLeft.getAndDecrement() > 0) {
          out.write(in.readNBytes((int) Math.min(cutAfter, length - 1)));
          out.flush();
          // Closing with bytes missing makes the server drop the connection mid-body.
          return;
        }
        in.transferTo(out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      // The cut-short case ends here ("insufficient bytes written"): that is the point.
    }
  }

  @Override
  public void close() {
    server.stop(0);
    upstream.shutdownNow();
  }
}
