package dev.blocklift.bench;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;

/**
 * Warm invoke round trips through a worker's Invoke API on its unix socket: WARMUP unrecorded
 * invokes, then N sequential ones on one keep-alive HTTP/1.1 connection, each with {@code
 * X-Amz-Log-Type: Tail}. Per invoke it records the round trip (request written to response read, on
 * this side of the socket), the function's Duration from the REPORT line of the log tail (the
 * worker's time from handing the event to the sandbox until its runtime's {@code /response}
 * arrived), and their difference: the Invoke API's overhead. Prints one line of {@code key=value}
 * (milliseconds; p50/p99/max from HdrHistogram) on stdout.
 *
 * <pre>
 * java -cp ... dev.blocklift.bench.InvokeLatency SOCKET FUNCTION N WARMUP PAYLOAD
 * </pre>
 */
public final class InvokeLatency {
  private static final Pattern DURATION = Pattern.compile("\\tDuration: ([0-9.]+) ms");
  private static final long MAX_MICROS = 60_000_000L;

  private InvokeLatency() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 5) {
      System.err.println("usage: InvokeLatency SOCKET FUNCTION N WARMUP PAYLOAD");
      System.exit(2);
    }
    Path socket = Path.of(args[0]);
    String path = "/2015-03-31/functions/" + args[1] + "/invocations";
    int n = Integer.parseInt(args[2]);
    int warmup = Integer.parseInt(args[3]);
    byte[] payload = args[4].getBytes(StandardCharsets.UTF_8);
    Histogram rtt = new Histogram(MAX_MICROS, 3);
    Histogram handler = new Histogram(MAX_MICROS, 3);
    Histogram overhead = new Histogram(MAX_MICROS, 3);
    int errors = 0;
    int negative = 0;
    String firstError = "";
    try (Client c = new Client(socket)) {
      for (int i = 0; i < warmup + n; i++) {
        long t0 = System.nanoTime();
        Answer a = c.post(path, payload);
        long micros = (System.nanoTime() - t0) / 1000;
        boolean ok =
            a.status == 200
                && !a.headers.containsKey("x-amz-function-error")
                && Arrays.equals(a.body, payload);
        if (!ok) {
          errors++;
          if (firstError.isEmpty()) {
            firstError = a.status + " " + new String(a.body, StandardCharsets.UTF_8);
          }
          continue;
        }
        if (i < warmup) {
          continue;
        }
        String tail =
            new String(
                Base64.getDecoder().decode(a.headers.getOrDefault("x-amz-log-result", "")),
                StandardCharsets.UTF_8);
        Matcher m = DURATION.matcher(tail);
        if (!m.find()) {
          throw new IOException("no REPORT Duration in the log tail: " + tail);
        }
        long duration = Math.round(Double.parseDouble(m.group(1)) * 1000);
        rtt.recordValue(Math.min(micros, MAX_MICROS));
        handler.recordValue(Math.min(duration, MAX_MICROS));
        long over = micros - duration;
        if (over < 0) {
          negative++;
        }
        overhead.recordValue(Math.max(0, Math.min(over, MAX_MICROS)));
      }
    }
    System.out.println(
        "invokes="
            + rtt.getTotalCount()
            + " errors="
            + errors
            + " negative_overhead="
            + negative
            + " "
            + stats("rtt", rtt)
            + " "
            + stats("duration", handler)
            + " "
            + stats("overhead", overhead));
    if (!firstError.isEmpty()) {
      System.err.println("first failed invoke: " + firstError);
    }
  }

  private static String stats(String name, Histogram h) {
    return String.format(
        Locale.ROOT,
        "%1$s_p50=%2$.3f %1$s_p99=%3$.3f %1$s_max=%4$.3f",
        name,
        h.getValueAtPercentile(50) / 1000.0,
        h.getValueAtPercentile(99) / 1000.0,
        h.getMaxValue() / 1000.0);
  }

  /** A response: status, headers (names lower case), body. */
  @SuppressWarnings("ArrayRecordComponent") // read once, never mutated
  record Answer(int status, Map<String, String> headers, byte[] body) {}

  /** Minimal HTTP/1.1 over a unix socket, one keep-alive connection (reopened if closed). */
  static final class Client implements AutoCloseable {
    private final Path socket;
    private SocketChannel channel;
    private InputStream in;
    private OutputStream out;

    Client(Path socket) {
      this.socket = socket;
    }

    private void connect() throws IOException {
      close();
      channel = SocketChannel.open(StandardProtocolFamily.UNIX);
      channel.connect(UnixDomainSocketAddress.of(socket));
      in = new BufferedInputStream(Channels.newInputStream(channel), 64 << 10);
      out = new BufferedOutputStream(Channels.newOutputStream(channel), 64 << 10);
    }

    Answer post(String path, byte[] body) throws IOException {
      if (channel == null || !channel.isOpen()) {
        connect();
      }
      String head =
          "POST "
              + path
              + " HTTP/1.1\r\nHost: worker\r\nContent-Type: application/json\r\n"
              + "X-Amz-Log-Type: Tail\r\nContent-Length: "
              + body.length
              + "\r\n\r\n";
      out.write(head.getBytes(StandardCharsets.US_ASCII));
      out.write(body);
      out.flush();
      String status = line();
      if (status == null) {
        throw new IOException("the worker closed the connection");
      }
      String[] parts = status.split(" ", 3);
      if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
        throw new IOException("not an HTTP response: " + status);
      }
      int code = Integer.parseInt(parts[1]);
      Map<String, String> headers = new LinkedHashMap<>();
      for (String l = line(); l != null && !l.isEmpty(); l = line()) {
        int colon = l.indexOf(':');
        if (colon > 0) {
          headers.put(
              l.substring(0, colon).strip().toLowerCase(Locale.ROOT),
              l.substring(colon + 1).strip());
        }
      }
      byte[] content;
      if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (true) {
          String size = line();
          if (size == null) {
            throw new IOException("truncated chunked body");
          }
          int semi = size.indexOf(';');
          int len = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).strip(), 16);
          if (len == 0) {
            for (String l = line(); l != null && !l.isEmpty(); l = line()) {
              // trailers: ignored
            }
            break;
          }
          b.write(in.readNBytes(len));
          line();
        }
        content = b.toByteArray();
      } else {
        int len = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        content = in.readNBytes(len);
      }
      if ("close".equalsIgnoreCase(headers.get("connection"))) {
        close();
      }
      return new Answer(code, headers, content);
    }

    private String line() throws IOException {
      ByteArrayOutputStream b = new ByteArrayOutputStream(128);
      int c;
      while ((c = in.read()) != -1) {
        if (c == '\n') {
          byte[] l = b.toByteArray();
          int len = l.length > 0 && l[l.length - 1] == '\r' ? l.length - 1 : l.length;
          return new String(l, 0, len, StandardCharsets.ISO_8859_1);
        }
        b.write(c);
      }
      return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
      if (channel != null) {
        channel.close();
        channel = null;
      }
    }
  }
}
