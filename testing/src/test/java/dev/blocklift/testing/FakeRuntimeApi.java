package dev.blocklift.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Lambda Runtime API that hands out a fixed list of events (request ids {@code req-1}, {@code
 * req-2}, ...) and records what the runtime posts back; once the events are used up, {@code /next}
 * waits until {@link #close} (as a frozen sandbox would).
 */
final class FakeRuntimeApi implements AutoCloseable {
  /** What the runtime posted: path, headers (lower-case names), body. */
  record Post(String path, Map<String, List<String>> headers, String body) {
    String header(String name) {
      for (var e : headers.entrySet()) {
        if (e.getKey().equalsIgnoreCase(name)) {
          return e.getValue().getFirst();
        }
      }
      return null;
    }
  }

  private static final String PREFIX = "/2018-06-01/runtime";
  private final HttpServer server;
  private final List<String> events;
  private final AtomicInteger next = new AtomicInteger();
  private final BlockingQueue<Post> posts = new LinkedBlockingQueue<>();
  private final CountDownLatch closed = new CountDownLatch(1);

  FakeRuntimeApi(List<String> events) throws IOException {
    this.events = events;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext(PREFIX + "/", this::handle);
    server.start();
  }

  /** The value of {@code AWS_LAMBDA_RUNTIME_API}. */
  String address() {
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  /** How many times the runtime asked for an event. */
  int nextCalls() {
    return next.get();
  }

  /** The next post the runtime made, waiting up to {@code seconds}; fails if none came. */
  Post awaitPost(int seconds) throws InterruptedException {
    Post post = posts.poll(seconds, TimeUnit.SECONDS);
    if (post == null) {
      throw new AssertionError("the runtime posted nothing within " + seconds + " s");
    }
    return post;
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath().substring(PREFIX.length());
      if (exchange.getRequestMethod().equals("GET") && path.equals("/invocation/next")) {
        int i = next.getAndIncrement();
        if (i >= events.size()) {
          closed.await();
          exchange.sendResponseHeaders(410, -1);
          return;
        }
        byte[] body = events.get(i).getBytes(StandardCharsets.UTF_8);
        var headers = exchange.getResponseHeaders();
        headers.add("Lambda-Runtime-Aws-Request-Id", "req-" + (i + 1));
        headers.add(
            "Lambda-Runtime-Deadline-Ms", Long.toString(System.currentTimeMillis() + 60_000));
        headers.add(
            "Lambda-Runtime-Invoked-Function-Arn",
            "arn:aws:lambda:us-east-1:000000000000:function:fixture");
        headers.add("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000");
        headers.add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
        return;
      }
      if (exchange.getRequestMethod().equals("POST")) {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        posts.add(new Post(path, Map.copyOf(exchange.getRequestHeaders()), body));
        exchange.sendResponseHeaders(202, -1);
        return;
      }
      exchange.sendResponseHeaders(404, -1);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    closed.countDown();
    server.stop(0);
  }
}
