package dev.blocklift.fleet.client;

import dev.blocklift.fleet.node.ShardKey;
import dev.blocklift.fleet.placement.NodeAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The cache-node protocol over the JDK HTTP client (HTTP/1.1, pooled keep-alive connections,
 * callbacks on virtual threads). A GET body is only accepted with a Content-Length no larger than
 * {@code maxBody}; anything else is discarded unread and reported as an error.
 */
public final class HttpShardTransport implements ShardTransport {
  private final HttpClient client;
  private final ExecutorService executor;
  private final long maxBody;

  public HttpShardTransport(long maxBody, Duration connectTimeout) {
    this.maxBody = maxBody;
    this.executor = Executors.newVirtualThreadPerTaskExecutor();
    this.client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(connectTimeout)
            .executor(executor)
            .build();
  }

  static URI uri(NodeAddress node, ShardKey key) {
    return URI.create(
        "http://"
            + node.host()
            + ":"
            + node.port()
            + "/shards/"
            + key.chunk().hex()
            + "/"
            + key.index());
  }

  @Override
  public CompletableFuture<Optional<byte[]>> get(NodeAddress node, ShardKey key, Duration timeout) {
    HttpRequest req = HttpRequest.newBuilder(uri(node, key)).timeout(timeout).GET().build();
    HttpResponse.BodyHandler<byte[]> handler =
        info -> {
          long len = info.headers().firstValueAsLong("content-length").orElse(-1);
          if (info.statusCode() == 200 && len >= 0 && len <= maxBody) {
            return HttpResponse.BodySubscribers.ofByteArray();
          }
          return HttpResponse.BodySubscribers.replacing(null);
        };
    return client
        .sendAsync(req, handler)
        .thenApply(
            resp -> {
              if (resp.statusCode() == 404) {
                return Optional.empty();
              }
              if (resp.statusCode() != 200 || resp.body() == null) {
                throw new ShardRequestException(
                    "cache node " + node + " answered " + resp.statusCode() + " for " + key);
              }
              return Optional.of(resp.body());
            });
  }

  /**
   * PUTs a shard; a PUT that fails on a connection error (typically a pooled connection to a node
   * that restarted) is sent once more, which is safe because shards are immutable.
   */
  @Override
  public CompletableFuture<Void> put(
      NodeAddress node, ShardKey key, byte[] shard, Duration timeout) {
    return putOnce(node, key, shard, timeout)
        .exceptionallyCompose(
            e -> {
              Throwable c =
                  e instanceof java.util.concurrent.CompletionException ? e.getCause() : e;
              if (c instanceof java.io.IOException
                  && !(c instanceof java.net.http.HttpTimeoutException)) {
                return putOnce(node, key, shard, timeout);
              }
              return CompletableFuture.failedFuture(c);
            });
  }

  private CompletableFuture<Void> putOnce(
      NodeAddress node, ShardKey key, byte[] shard, Duration timeout) {
    HttpRequest req =
        HttpRequest.newBuilder(uri(node, key))
            .timeout(timeout)
            .PUT(HttpRequest.BodyPublishers.ofByteArray(shard))
            .build();
    return client
        .sendAsync(req, HttpResponse.BodyHandlers.ofString())
        .thenAccept(
            resp -> {
              if (resp.statusCode() / 100 != 2) {
                throw new ShardRequestException(
                    "cache node "
                        + node
                        + " refused shard "
                        + key
                        + ": "
                        + resp.statusCode()
                        + " "
                        + resp.body().strip());
              }
            });
  }

  @Override
  public void close() {
    client.shutdownNow();
    executor.shutdownNow();
  }

  /** A node answered something other than 200/404. */
  public static final class ShardRequestException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ShardRequestException(String message) {
      super(message);
    }
  }
}
