package dev.blocklift.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The eager baseline's Lambda Runtime API (2018-06-01): one event, on 127.0.0.1:PORT of the host
 * network, for a runtime started by hand ({@code runc run} with {@code
 * AWS_LAMBDA_RUNTIME_API=127.0.0.1:PORT}). The first {@code GET .../invocation/next} gets EVENT
 * (with {@code Content-Type: application/json}: AWS's runtime interface client 2.10.1 crashes
 * without it) and the request id, deadline, ARN and trace id headers; a later {@code /next} is
 * never answered. On {@code .../response} it writes to OUT one line
 *
 * <pre>
 * response EPOCH_SECONDS HANDLER_MS BYTES
 * </pre>
 *
 * (the wall-clock time the response arrived, the time from the event's delivery to it), answers 202
 * and exits; {@code .../error} and {@code /init/error} write {@code error ...} and exit 1. Prints
 * {@code listening} on stdout once it accepts connections.
 *
 * <pre>
 * java -cp ... dev.blocklift.bench.OneShotRuntimeApi PORT EVENT OUT
 * </pre>
 */
public final class OneShotRuntimeApi {
  private static final String PREFIX = "/2018-06-01/runtime/";

  private OneShotRuntimeApi() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    if (args.length != 3) {
      System.err.println("usage: OneShotRuntimeApi PORT EVENT OUT");
      System.exit(2);
    }
    int port = Integer.parseInt(args[0]);
    byte[] event = args[1].getBytes(StandardCharsets.UTF_8);
    Path out = Path.of(args[2]);
    String requestId = UUID.randomUUID().toString();
    AtomicBoolean delivered = new AtomicBoolean();
    AtomicLong deliveredAt = new AtomicLong();
    CountDownLatch done = new CountDownLatch(1);
    int[] exit = {0};
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext(
        "/",
        x -> {
          String path = x.getRequestURI().getPath();
          String rest = path.startsWith(PREFIX) ? path.substring(PREFIX.length()) : path;
          try (x) {
            if (rest.equals("invocation/next")) {
              if (!delivered.compareAndSet(false, true)) {
                // One event only: the runtime waits here until its container is killed.
                done.await();
                Thread.sleep(Long.MAX_VALUE);
                return;
              }
              var h = x.getResponseHeaders();
              h.add("Content-Type", "application/json");
              h.add("Lambda-Runtime-Aws-Request-Id", requestId);
              h.add(
                  "Lambda-Runtime-Deadline-Ms", Long.toString(System.currentTimeMillis() + 60_000));
              h.add(
                  "Lambda-Runtime-Invoked-Function-Arn",
                  "arn:aws:lambda:us-east-1:000000000000:function:eager");
              h.add(
                  "Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0");
              deliveredAt.set(System.nanoTime());
              send(x, 200, event);
            } else if (rest.equals("invocation/" + requestId + "/response")) {
              byte[] body = drain(x);
              long nanos = System.nanoTime() - deliveredAt.get();
              Instant at = Instant.now();
              line(
                  out,
                  String.format(
                      Locale.ROOT,
                      "response %d.%06d %.3f %d",
                      at.getEpochSecond(),
                      at.getNano() / 1000,
                      nanos / 1e6,
                      body.length));
              send(x, 202, "{\"status\":\"OK\"}".getBytes(StandardCharsets.UTF_8));
              done.countDown();
            } else if (rest.endsWith("/error")) {
              byte[] body = drain(x);
              line(out, "error " + rest + " " + new String(body, StandardCharsets.UTF_8));
              send(x, 202, "{\"status\":\"OK\"}".getBytes(StandardCharsets.UTF_8));
              exit[0] = 1;
              done.countDown();
            } else {
              drain(x);
              send(x, 404, "{\"errorType\":\"UnknownResource\"}".getBytes(StandardCharsets.UTF_8));
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    server.start();
    System.out.println("listening on 127.0.0.1:" + server.getAddress().getPort());
    System.out.flush();
    done.await();
    // Lets the 202 reach the runtime before the server goes.
    TimeUnit.MILLISECONDS.sleep(50);
    server.stop(0);
    System.exit(exit[0]);
  }

  private static byte[] drain(HttpExchange x) throws IOException {
    try (InputStream in = x.getRequestBody()) {
      return in.readAllBytes();
    }
  }

  private static void send(HttpExchange x, int status, byte[] body) throws IOException {
    if (!x.getResponseHeaders().containsKey("Content-Type")) {
      x.getResponseHeaders().add("Content-Type", "application/json");
    }
    x.sendResponseHeaders(status, body.length);
    try (OutputStream o = x.getResponseBody()) {
      o.write(body);
    }
  }

  private static synchronized void line(Path out, String line) throws IOException {
    Files.writeString(
        out,
        line + "\n",
        StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND);
  }
}
