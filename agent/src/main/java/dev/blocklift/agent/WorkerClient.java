package dev.blocklift.agent;

import dev.blocklift.core.BlockliftException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A minimal HTTP/1.1 client for the worker's unix socket (the JDK's HttpClient has no unix
 * sockets): one request per connection ({@code Connection: close}), the answer read to its end
 * within a deadline and a size bound. For {@code blocklift stats} and tests; scripts use {@code
 * curl --unix-socket}.
 */
public final class WorkerClient {
  private static final int MAX_ANSWER = 16 << 20;

  private final Path socket;
  private final Duration timeout;

  public WorkerClient(Path socket, Duration timeout) {
    this.socket = socket;
    this.timeout = timeout;
  }

  /** A status line's code, the body, and the headers (names in lower case). */
  public record Answer(int status, String body, java.util.Map<String, String> headers) {
    public Answer(int status, String body) {
      this(status, body, java.util.Map.of());
    }

    public Optional<String> header(String name) {
      return Optional.ofNullable(headers.get(name.toLowerCase(java.util.Locale.ROOT)));
    }
  }

  public Answer get(String path) throws IOException {
    return request("GET", path);
  }

  public Answer post(String path) throws IOException {
    return request("POST", path);
  }

  private Answer request(String method, String path) throws IOException {
    return send(method, path, new byte[0], java.util.Map.of());
  }

  /** One request with a body and headers (e.g. the Lambda API's JSON). */
  public Answer send(String method, String path, byte[] body, java.util.Map<String, String> headers)
      throws IOException {
    if (!method.chars().allMatch(c -> c >= 'A' && c <= 'Z')) {
      throw new IllegalArgumentException("not an HTTP method: \"" + method + "\"");
    }
    for (var h : headers.entrySet()) {
      if ((h.getKey() + h.getValue()).chars().anyMatch(c -> c < ' ' || c > '~')) {
        throw new IllegalArgumentException("not a header: \"" + h.getKey() + "\"");
      }
    }
    if (!path.startsWith("/") || path.chars().anyMatch(c -> c <= ' ' || c > '~')) {
      throw new IllegalArgumentException("not a request path: \"" + path + "\"");
    }
    var exec = Executors.newVirtualThreadPerTaskExecutor();
    SocketChannel ch;
    try {
      ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    } catch (IOException e) {
      exec.close();
      throw e;
    }
    try (exec;
        ch) {
      Future<byte[]> f =
          exec.submit(
              () -> {
                ch.connect(UnixDomainSocketAddress.of(socket));
                StringBuilder req =
                    new StringBuilder(method)
                        .append(' ')
                        .append(path)
                        .append(" HTTP/1.1\r\nHost: worker\r\nContent-Length: ")
                        .append(body.length)
                        .append("\r\nConnection: close\r\n");
                headers.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
                req.append("\r\n");
                for (ByteBuffer out :
                    new ByteBuffer[] {
                      ByteBuffer.wrap(req.toString().getBytes(StandardCharsets.US_ASCII)),
                      ByteBuffer.wrap(body)
                    }) {
                  while (out.hasRemaining()) {
                    ch.write(out);
                  }
                }
                ByteArrayOutputStream all = new ByteArrayOutputStream();
                ByteBuffer in = ByteBuffer.allocate(64 * 1024);
                while (ch.read(in) >= 0) {
                  all.write(in.array(), 0, in.position());
                  in.clear();
                  if (all.size() > MAX_ANSWER) {
                    throw new IOException("the worker's answer exceeds " + MAX_ANSWER + " bytes");
                  }
                }
                return all.toByteArray();
              });
      byte[] raw;
      try {
        raw = f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        throw new IOException("no answer from the worker at " + socket + " within " + timeout, e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      } catch (ExecutionException e) {
        throw e.getCause() instanceof IOException io
            ? io
            : new IOException(String.valueOf(e.getCause()), e.getCause());
      }
      return parse(raw);
    }
  }

  static Answer parse(byte[] raw) {
    String text = new String(raw, StandardCharsets.UTF_8);
    int head = text.indexOf("\r\n\r\n");
    if (!text.startsWith("HTTP/1.1 ") || head < 0 || text.length() < 12) {
      throw new BlockliftException("not an HTTP answer from the worker");
    }
    int status;
    try {
      status = Integer.parseInt(text.substring(9, 12));
    } catch (NumberFormatException e) {
      throw new BlockliftException("bad status line from the worker: " + text.lines().findFirst());
    }
    java.util.Map<String, String> headers = new java.util.LinkedHashMap<>();
    text.substring(0, head)
        .lines()
        .skip(1)
        .forEach(
            l -> {
              int colon = l.indexOf(':');
              if (colon > 0) {
                headers.put(
                    l.substring(0, colon).strip().toLowerCase(java.util.Locale.ROOT),
                    l.substring(colon + 1).strip());
              }
            });
    String body = text.substring(head + 4);
    if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
      body = dechunk(body);
    }
    return new Answer(status, body, java.util.Map.copyOf(headers));
  }

  private static String dechunk(String body) {
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < body.length()) {
      int eol = body.indexOf("\r\n", i);
      if (eol < 0) {
        break;
      }
      int n = Integer.parseInt(body.substring(i, eol).split(";")[0].strip(), 16);
      if (n == 0) {
        break;
      }
      out.append(body, eol + 2, Math.min(body.length(), eol + 2 + n));
      i = eol + 2 + n + 2;
    }
    return out.toString();
  }
}
