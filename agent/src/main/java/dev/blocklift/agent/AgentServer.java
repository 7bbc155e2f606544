package dev.blocklift.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ImageName;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code blocklift agent}: one process holding several mounts over one {@link Worker} (so one
 * shared cache and one single-flight table), controlled over HTTP on a loopback address:
 *
 * <ul>
 *   <li>{@code GET /metrics} — Prometheus text (tiers, chain, fetches, bytes per image);
 *   <li>{@code GET /mounts} — JSON list of mounts;
 *   <li>{@code POST /mount?image=NAME:TAG&dir=DIR[&ro=true]} — mounts an image on DIR;
 *   <li>{@code POST /umount?dir=DIR} — undoes it.
 * </ul>
 */
public final class AgentServer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Worker worker;
  private final FuseServer fuse;
  private final Path overlays;
  private final HttpServer http;
  private final Map<String, ImageMount> mounts = new ConcurrentSkipListMap<>();
  private final AtomicInteger counter = new AtomicInteger();

  private AgentServer(Worker worker, FuseServer fuse, Path overlays, HttpServer http) {
    this.worker = worker;
    this.fuse = fuse;
    this.overlays = overlays;
    this.http = http;
  }

  /** Starts serving on {@code listen} (port 0 = any), with state under {@code stateDir}. */
  public static AgentServer start(Worker worker, InetSocketAddress listen, Path stateDir)
      throws IOException {
    if (!listen.getAddress().isLoopbackAddress()) {
      throw new BlockliftException(
          "the agent listens on loopback only; got " + listen.getAddress().getHostAddress());
    }
    FuseServer fuse = FuseServer.mount(stateDir.resolve("fuse"));
    HttpServer http;
    try {
      http = HttpServer.create(listen, 16);
    } catch (IOException e) {
      fuse.close();
      throw new BlockliftException("cannot listen on " + listen + ": " + e.getMessage(), e);
    }
    AgentServer a = new AgentServer(worker, fuse, stateDir.resolve("overlays"), http);
    http.createContext("/metrics", ex -> a.handle(ex, "GET", q -> text(worker.prometheus())));
    http.createContext("/mounts", ex -> a.handle(ex, "GET", q -> json(a.list())));
    http.createContext("/mount", ex -> a.handle(ex, "POST", a::mount));
    http.createContext("/umount", ex -> a.handle(ex, "POST", a::umount));
    http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    http.start();
    return a;
  }

  public InetSocketAddress address() {
    return http.getAddress();
  }

  private static final class Reply {
    private final String contentType;
    private final byte[] body;

    Reply(String contentType, byte[] body) {
      this.contentType = contentType;
      this.body = body;
    }

    String contentType() {
      return contentType;
    }

    byte[] body() {
      return body;
    }
  }

  private interface Handler {
    Reply handle(Map<String, String> query) throws IOException;
  }

  private static Reply text(String s) {
    return new Reply("text/plain; version=0.0.4", s.getBytes(StandardCharsets.UTF_8));
  }

  private static Reply json(Object o) throws IOException {
    return new Reply("application/json", JSON.writeValueAsBytes(o));
  }

  private void handle(HttpExchange ex, String method, Handler h) throws IOException {
    int status = 200;
    Reply reply;
    try {
      if (!ex.getRequestMethod().equals(method)) {
        status = 405;
        reply = text("use " + method + "\n");
      } else {
        reply = h.handle(query(ex.getRequestURI().getRawQuery()));
      }
    } catch (BlockliftException | IllegalArgumentException e) {
      status = 400;
      reply = text(e.getMessage() + "\n");
    } catch (IOException | RuntimeException e) {
      status = 500;
      reply = text(e + "\n");
    }
    ex.getResponseHeaders().set("Content-Type", reply.contentType());
    ex.sendResponseHeaders(status, reply.body().length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(reply.body());
    }
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> q = new HashMap<>();
    if (raw == null) {
      return q;
    }
    for (String kv : raw.split("&")) {
      int i = kv.indexOf('=');
      if (i > 0) {
        q.put(
            URLDecoder.decode(kv.substring(0, i), StandardCharsets.UTF_8),
            URLDecoder.decode(kv.substring(i + 1), StandardCharsets.UTF_8));
      }
    }
    return q;
  }

  private static String required(Map<String, String> q, String key) {
    String v = q.get(key);
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException("missing query parameter \"" + key + "\"");
    }
    return v;
  }

  private List<Map<String, Object>> list() {
    List<Map<String, Object>> out = new ArrayList<>();
    mounts.forEach(
        (dir, m) ->
            out.add(
                Map.of(
                    "dir", dir,
                    "loopDevice", m.loopDevice(),
                    "file", m.file().toString(),
                    "writable", m.device().writable())));
    return out;
  }

  private synchronized Reply mount(Map<String, String> q) throws IOException {
    ImageName name = ImageName.parse(required(q, "image"));
    Path dir = Path.of(required(q, "dir")).toAbsolutePath().normalize();
    boolean ro = Boolean.parseBoolean(q.getOrDefault("ro", "false"));
    if (mounts.containsKey(dir.toString())) {
      throw new BlockliftException(dir + " is already mounted by this agent");
    }
    Worker.Image image = worker.open(name);
    String file = "m" + counter.incrementAndGet();
    ImageMount m =
        ImageMount.open(fuse, file, image.device(), dir, ro, overlays.resolve(file), false);
    mounts.put(dir.toString(), m);
    return json(Map.of("mounted", name.toString(), "dir", dir.toString()));
  }

  private synchronized Reply umount(Map<String, String> q) throws IOException {
    String dir = Path.of(required(q, "dir")).toAbsolutePath().normalize().toString();
    ImageMount m = mounts.remove(dir);
    if (m == null) {
      throw new BlockliftException(dir + " is not mounted by this agent");
    }
    m.close();
    return json(Map.of("unmounted", dir));
  }

  @Override
  public synchronized void close() throws IOException {
    http.stop(0);
    IOException failure = null;
    for (ImageMount m : List.copyOf(mounts.values())) {
      try {
        m.close();
      } catch (IOException e) {
        failure = e;
      }
    }
    mounts.clear();
    try {
      fuse.close();
    } catch (IOException e) {
      failure = e;
    }
    if (failure != null) {
      throw failure;
    }
  }
}
