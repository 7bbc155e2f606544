package dev.blocklift.functions;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/*
 * Design: Lambda's Runtime API (2018-06-01), served to every sandbox on a listener inside the
 * sandbox's own network namespace (127.0.0.1:9001 there). One Jetty server, one connector per
 * sandbox: the connector a request arrives on is the sandbox it speaks for, so a runtime can reach
 * only its own sandbox's events whatever it sends.
 *
 *   GET  /2018-06-01/runtime/invocation/next             long-poll: the next event
 *   POST /2018-06-01/runtime/invocation/{id}/response    the result (at most 6 MB)
 *   POST /2018-06-01/runtime/invocation/{id}/error       a function error (Lambda-Runtime-Function-Error-Type)
 *   POST /2018-06-01/runtime/init/error                  init failed: the sandbox is done
 *
 * Handlers block on virtual threads; a /next waits at most LONG_POLL and is then answered 204...
 * no: Lambda never answers an empty /next, and runtimes treat any non-200 as fatal, so a /next
 * simply waits until an event or the sandbox's end (the connection's idle timeout is off).
 */
/** The Runtime API server of a worker's sandboxes. */
final class RuntimeApi implements AutoCloseable {
  static final String PREFIX = "/2018-06-01/runtime/";
  static final int MAX_RESPONSE = 6 * 1024 * 1024;
  private static final Duration POLL_SLICE = Duration.ofSeconds(30);

  private final Server server;
  private final Map<Connector, Sandbox> byConnector = new ConcurrentHashMap<>();
  private final Map<String, ServerConnector> bySandbox = new ConcurrentHashMap<>();
  private final Clock clock;
  private final HttpConnectionFactory http;
  private final Identity identity;

  /** What {@code /next} tells a runtime about its function. */
  interface Identity {
    String arn(FunctionName name);
  }

  RuntimeApi(Clock clock, Identity identity) {
    this.clock = clock;
    this.identity = identity;
    QueuedThreadPool pool = new QueuedThreadPool(64, 2);
    pool.setName("runtime-api");
    pool.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server = new Server(pool);
    HttpConfiguration cfg = new HttpConfiguration();
    cfg.setSendServerVersion(false);
    cfg.setSendDateHeader(false);
    cfg.setRequestHeaderSize(16 * 1024);
    http = new HttpConnectionFactory(cfg);
    server.setHandler(new Api());
    try {
      server.start();
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the Runtime API server: " + e.getMessage(), e);
    }
  }

  /** Serves {@code sandbox}'s runtime on {@code listener} (bound inside its namespace). */
  void serve(Sandbox sandbox, ServerSocketChannel listener) throws IOException {
    ServerConnector c = new ServerConnector(server, 0, 1, http);
    c.setIdleTimeout(-1);
    c.open(listener);
    byConnector.put(c, sandbox);
    bySandbox.put(sandbox.id, c);
    server.addConnector(c);
    try {
      c.start();
    } catch (Exception e) {
      stop(sandbox);
      throw new IOException("cannot serve the Runtime API of " + sandbox.id + ": " + e, e);
    }
  }

  /** Stops serving a sandbox's runtime. */
  void stop(Sandbox sandbox) {
    ServerConnector c = bySandbox.remove(sandbox.id);
    if (c == null) {
      return;
    }
    byConnector.remove(c);
    try {
      c.stop();
    } catch (Exception e) {
      // closing: nothing else to do
    }
    server.removeConnector(c);
  }

  @Override
  public void close() {
    try {
      server.stop();
    } catch (Exception e) {
      // the worker is stopping
    }
  }

  private final class Api extends Handler.Abstract {
    Api() {
      super(InvocationType.BLOCKING);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
      Sandbox sb = byConnector.get(request.getConnectionMetaData().getConnector());
      String path = request.getHttpURI().getPath();
      if (sb == null || path == null || !path.startsWith(PREFIX)) {
        return answer(response, callback, 404, "UnknownResource", "no such resource " + path);
      }
      String rest = path.substring(PREFIX.length());
      String method = request.getMethod();
      if (rest.equals("invocation/next")) {
        if (!method.equals("GET")) {
          return answer(response, callback, 405, "MethodNotAllowed", "use GET");
        }
        return next(sb, response, callback);
      }
      if (rest.equals("init/error")) {
        if (!method.equals("POST")) {
          return answer(response, callback, 405, "MethodNotAllowed", "use POST");
        }
        byte[] body = body(request, MAX_RESPONSE);
        String type =
            Optional.ofNullable(request.getHeaders().get("Lambda-Runtime-Function-Error-Type"))
                .orElse("Runtime.Unknown");
        sb.die(
            "init error " + type,
            Invocation.Result.error(
                body.length > 0 ? body : ErrorDocuments.of(type, "the runtime failed to start")));
        return answer(response, callback, 202, null, null);
      }
      if (rest.startsWith("invocation/")) {
        String[] parts = rest.split("/");
        if (parts.length != 3 || !method.equals("POST")) {
          return answer(response, callback, 404, "UnknownResource", "no such resource " + path);
        }
        String requestId = parts[1];
        byte[] body;
        try {
          body = body(request, MAX_RESPONSE);
        } catch (TooLarge e) {
          sb.respond(
              requestId,
              Invocation.Result.error(
                  "Function.ResponseSizeTooLarge",
                  "Response payload size exceeded maximum allowed payload size ("
                      + MAX_RESPONSE
                      + " bytes)."));
          return answer(response, callback, 413, "RequestEntityTooLarge", e.getMessage());
        }
        Invocation.Result result =
            switch (parts[2]) {
              case "response" -> Invocation.Result.ok(body);
              case "error" -> {
                String type =
                    Optional.ofNullable(
                            request.getHeaders().get("Lambda-Runtime-Function-Error-Type"))
                        .orElse("Unhandled");
                yield Invocation.Result.error(
                    body.length > 0 ? body : ErrorDocuments.of(type, "the function failed"));
              }
              default -> null;
            };
        if (result == null) {
          return answer(response, callback, 404, "UnknownResource", "no such resource " + path);
        }
        if (!sb.respond(requestId, result)) {
          return answer(
              response,
              callback,
              400,
              "InvalidRequestID",
              "request " + requestId + " is not the invocation this runtime is handling");
        }
        return answer(response, callback, 202, null, null);
      }
      return answer(response, callback, 404, "UnknownResource", "no such resource " + path);
    }

    private boolean next(Sandbox sb, Response response, Callback callback)
        throws InterruptedException {
      Optional<Invocation> inv = Optional.empty();
      while (inv.isEmpty() && sb.state() != Sandbox.State.DEAD) {
        inv = sb.next(clock.instant(), POLL_SLICE);
      }
      if (inv.isEmpty()) {
        return answer(response, callback, 500, "SandboxStopped", "the sandbox is stopping");
      }
      Invocation i = inv.get();
      var h = response.getHeaders();
      h.put("Lambda-Runtime-Aws-Request-Id", i.requestId);
      h.put("Lambda-Runtime-Deadline-Ms", Long.toString(i.deadlineEpochMillis));
      h.put("Lambda-Runtime-Invoked-Function-Arn", identity.arn(sb.config.name()));
      h.put("Lambda-Runtime-Trace-Id", i.traceId);
      i.clientContext.ifPresent(c -> h.put("Lambda-Runtime-Client-Context", c));
      h.put(HttpHeader.CONTENT_TYPE, "application/json");
      h.put(HttpHeader.CONTENT_LENGTH, i.payload.length);
      response.setStatus(200);
      response.write(true, ByteBuffer.wrap(i.payload), callback);
      return true;
    }
  }

  /** A body over its limit. */
  static final class TooLarge extends IOException {
    private static final long serialVersionUID = 1L;

    TooLarge(String m) {
      super(m);
    }
  }

  /**
   * Reads a body of at most {@code max} bytes. A larger one is refused after reading (and dropping)
   * up to 4 times {@code max} of it, so that the client, still sending, reads the refusal rather
   * than a reset; beyond that the connection is cut.
   */
  static byte[] body(Request request, int max) throws IOException {
    long declared = request.getLength();
    try (InputStream in = Content.Source.asInputStream(request)) {
      if (declared > max) {
        if (declared <= 4L * max) {
          in.skipNBytes(declared);
        }
        throw new TooLarge("body of " + declared + " bytes exceeds " + max);
      }
      byte[] b = in.readNBytes(max + 1);
      if (b.length > max) {
        in.skip(3L * max);
        throw new TooLarge("body exceeds " + max + " bytes");
      }
      return b;
    }
  }

  private static boolean answer(
      Response response, Callback callback, int status, String type, String message) {
    response.setStatus(status);
    byte[] body =
        type == null
            ? "{\"status\":\"OK\"}".getBytes(StandardCharsets.UTF_8)
            : ErrorDocuments.of(type, message);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
    response.write(true, ByteBuffer.wrap(body), callback);
    return true;
  }
}
