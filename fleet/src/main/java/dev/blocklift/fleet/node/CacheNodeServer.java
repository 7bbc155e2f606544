package dev.blocklift.fleet.node;

import dev.blocklift.core.ChunkName;
import dev.blocklift.core.CorruptDataException;
import dev.blocklift.core.TimeSpan;
import dev.blocklift.fleet.coding.Shard;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.thread.Invocable;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/*
 * Design: one Jetty 12 core Handler, no servlet layer. The protocol is tiny:
 *
 *   GET  /shards/<chunk name>/<index>   200 + shard bytes | 404
 *   HEAD /shards/<chunk name>/<index>   200 + Content-Length | 404
 *   PUT  /shards/<chunk name>/<index>   201 | 400 (malformed, checksum) | 411 | 413 (too big)
 *   GET  /health                        200 "ok"
 *   GET  /metrics                       Prometheus text
 *
 * A shard (see Shard) carries its own CRC32C over the chunk name, header and payload. PUT
 * verifies it against the name and index in the path before storing; GET verifies the stored bytes
 * again before sending (a failing one is dropped and answered 404, so the client refills it). The
 * node never decrypts anything and never sees a key: chunks are ciphertext named by their hash.
 *
 * Every error answer is text/plain with a one-line reason; the node keeps serving whatever a
 * client sends (Jetty itself answers raw socket garbage with 400 and closes the connection).
 *
 * Test options (not for production): a fixed delay added before answering shard requests
 * (scheduled, so no thread sleeps) and a rate of GET answers with one byte flipped after
 * verification, to exercise the client's corruption handling.
 */
/** The cache node's HTTP server. */
public final class CacheNodeServer implements AutoCloseable {
  private static final String PREFIX = "/shards/";
  private final NodeConfig config;
  private final ShardStore store;
  private final NodeMetrics metrics = new NodeMetrics();
  private final ScheduledExecutorService scheduler;
  private final SplittableRandom corruptRandom;
  private final int maxChunk;
  private final int maxBody;
  private final Server server;
  private final ServerConnector connector;
  private volatile long delayNanos;

  public CacheNodeServer(NodeConfig config, ShardStore store) {
    this.config = config;
    this.store = store;
    this.maxChunk = (int) config.maxChunk().bytes();
    this.delayNanos = config.testDelay().toNanos();
    this.maxBody = Shard.wireLength(maxChunk);
    this.corruptRandom = new SplittableRandom(config.testSeed());
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "cache-node-delay");
              t.setDaemon(true);
              return t;
            });
    QueuedThreadPool pool = new QueuedThreadPool(64, 4);
    pool.setName("cache-node");
    this.server = new Server(pool);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendDateHeader(false);
    this.connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
    connector.setHost(config.host());
    connector.setPort(config.port());
    server.addConnector(connector);
    server.setHandler(new ShardHandler());
  }

  public void start() throws Exception {
    server.start();
  }

  /** The bound port (useful with port 0). */
  public int port() {
    return connector.getLocalPort();
  }

  public NodeMetrics metrics() {
    return metrics;
  }

  @Override
  public void close() throws Exception {
    server.stop();
    scheduler.shutdownNow();
    store.close();
  }

  private final class ShardHandler extends Handler.Abstract {
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      long start = System.nanoTime();
      String path = request.getHttpURI().getPath();
      String method = request.getMethod();
      if (path == null) {
        return error(response, callback, 400, "no path");
      }
      if (path.equals("/health")) {
        return text(response, callback, 200, "ok\n");
      }
      if (path.equals("/metrics")) {
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; version=0.0.4");
        return text(response, callback, 200, metrics.render(store.stats()));
      }
      if (path.equals("/test/delay") && config.testAdmin() && method.equals("PUT")) {
        Content.Source.asString(
            request,
            StandardCharsets.UTF_8,
            Promise.from(
                text -> {
                  try {
                    delayNanos = TimeSpan.parse(text).toDuration().toNanos();
                    text(response, callback, 200, "delay " + text.strip() + "\n");
                  } catch (IllegalArgumentException e) {
                    error(response, callback, 400, e.getMessage());
                  }
                },
                failure -> error(response, callback, 400, "cannot read body")));
        return true;
      }
      if (!path.startsWith(PREFIX)) {
        metrics.badRequests.increment();
        return error(
            response, callback, 404, "no such resource; use /shards/<chunk>/<index>, /health");
      }
      ShardKey key;
      try {
        key = parseKey(path.substring(PREFIX.length()));
      } catch (IllegalArgumentException e) {
        metrics.badRequests.increment();
        return error(response, callback, 400, e.getMessage());
      }
      switch (method) {
        case "GET", "HEAD" -> {
          Runnable r = () -> serveGet(key, method.equals("HEAD"), response, callback, start);
          delayed(r);
          return true;
        }
        case "PUT" -> {
          long declared = request.getLength();
          if (declared < 0) {
            metrics.rejectedSize.increment();
            return error(response, callback, 411, "PUT needs a Content-Length");
          }
          if (declared > maxBody) {
            metrics.rejectedSize.increment();
            return error(
                response,
                callback,
                413,
                "shard of " + declared + " bytes exceeds the node's limit of " + maxBody);
          }
          Content.Source.asByteArrayAsync(
              request,
              maxBody,
              Promise.Invocable.from(
                  Invocable.InvocationType.BLOCKING,
                  (body, failure) -> {
                    if (failure != null) {
                      metrics.rejectedSize.increment();
                      error(response, callback, 400, "cannot read body: " + failure.getMessage());
                    } else {
                      delayed(() -> servePut(key, body, response, callback, start));
                    }
                  }));
          return true;
        }
        default -> {
          metrics.badRequests.increment();
          response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD, PUT");
          return error(response, callback, 405, "method " + method + " not allowed");
        }
      }
    }
  }

  private void delayed(Runnable r) {
    long d = delayNanos;
    if (d == 0) {
      r.run();
    } else {
      ScheduledFuture<?> unused =
          scheduler.schedule(() -> Thread.ofVirtual().start(r), d, TimeUnit.NANOSECONDS);
    }
  }

  private void serveGet(
      ShardKey key, boolean head, Response response, Callback callback, long start) {
    try {
      Optional<byte[]> stored = store.get(key);
      if (stored.isPresent()) {
        try {
          Shard.parse(key.chunk(), key.index(), stored.get(), maxChunk);
        } catch (CorruptDataException e) {
          metrics.corruptOnRead.increment();
          store.remove(key);
          stored = Optional.empty();
        }
      }
      if (stored.isEmpty()) {
        if (!head) {
          metrics.misses.increment();
        }
        error(response, callback, 404, "no shard " + key);
        return;
      }
      byte[] body = stored.get();
      response.setStatus(200);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
      response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
      if (head) {
        metrics.heads.increment();
        response.write(true, null, callback);
        return;
      }
      if (config.testCorruptRate() > 0 && nextCorrupt()) {
        body = body.clone();
        int at;
        synchronized (corruptRandom) {
          at = corruptRandom.nextInt(body.length);
        }
        body[at] ^= 0x5a;
        metrics.testCorrupted.increment();
      }
      metrics.hits.increment();
      metrics.bytesSent.add(body.length);
      response.write(true, ByteBuffer.wrap(body), callback);
      metrics.getLatency.record(System.nanoTime() - start);
    } catch (IOException | RuntimeException e) {
      error(response, callback, 500, "store failure: " + e);
    }
  }

  private boolean nextCorrupt() {
    synchronized (corruptRandom) {
      return corruptRandom.nextDouble() < config.testCorruptRate();
    }
  }

  private void servePut(ShardKey key, byte[] body, Response response, Callback callback, long t0) {
    try {
      Shard.parse(key.chunk(), key.index(), body, maxChunk);
    } catch (CorruptDataException e) {
      metrics.rejectedChecksum.increment();
      error(response, callback, 400, "shard rejected, not stored: " + e.getMessage());
      return;
    }
    try {
      store.put(key, body);
    } catch (IOException | RuntimeException e) {
      error(response, callback, 500, "store failure: " + e);
      return;
    }
    metrics.puts.increment();
    metrics.bytesReceived.add(body.length);
    metrics.putLatency.record(System.nanoTime() - t0);
    response.setStatus(201);
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, 0);
    response.write(true, null, callback);
  }

  /** Parses {@code <64 hex>/<index>}. */
  static ShardKey parseKey(String rest) {
    int slash = rest.indexOf('/');
    if (slash < 0 || rest.indexOf('/', slash + 1) >= 0) {
      throw new IllegalArgumentException(
          "shard path must be /shards/<64 hex chunk name>/<index>, got /shards/"
              + dev.blocklift.core.Hex.abbreviate(rest));
    }
    ChunkName name = ChunkName.of(rest.substring(0, slash));
    String idx = rest.substring(slash + 1);
    if (!idx.matches("\\d{1,3}")) {
      throw new IllegalArgumentException(
          "shard index must be a number 0..254, got \""
              + dev.blocklift.core.Hex.abbreviate(idx)
              + "\"");
    }
    return new ShardKey(name, Integer.parseInt(idx));
  }

  private static boolean text(Response response, Callback callback, int status, String body) {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    response.setStatus(status);
    if (!response.getHeaders().contains(HttpHeader.CONTENT_TYPE)) {
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
    }
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, b.length);
    response.write(true, ByteBuffer.wrap(b), callback);
    return true;
  }

  private static boolean error(Response response, Callback callback, int status, String reason) {
    return text(response, callback, status, reason.replace('\n', ' ') + "\n");
  }
}
