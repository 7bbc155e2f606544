package dev.blocklift.nbd;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.blocklift.agent.CowDevice;
import dev.blocklift.agent.CowOverlay;
import dev.blocklift.agent.Worker;
import dev.blocklift.agent.WorkerApi;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ImageName;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

/**
 * The worker's NBD exports, served on its API ({@link WorkerApi}):
 *
 * <pre>
 *   POST   /nbd?image=NAME:TAG[&amp;socket=PATH|&amp;listen=HOST:PORT][&amp;rw=true]   start one
 *   GET    /nbd                                                             list them (JSON)
 *   DELETE /nbd?id=ID          or   POST /nbd/stop?id=ID  (name=ID too)     stop one
 * </pre>
 *
 * Each export is its own {@link NbdServer} over a device the worker opens on its shared tiers; with
 * {@code rw=true} a copy-on-write device whose overlay lives under {@code STATE/nbd/ID} and is
 * deleted with the export. Exports do not outlive the worker.
 */
final class NbdExports implements WorkerApi {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final System.Logger LOG = System.getLogger(NbdExports.class.getName());
  private static final SecureRandom RANDOM = new SecureRandom();

  private record Live(
      String id, String image, boolean readOnly, Instant started, NbdServer server, String owner) {}

  private final Worker worker;
  private final Path overlays;
  private final Path sockets;
  private final Map<String, Live> live = new ConcurrentSkipListMap<>();
  private volatile boolean closed;

  NbdExports(Worker worker, Path state) throws IOException {
    this.worker = worker;
    this.overlays = state.resolve("nbd");
    this.sockets = state.toAbsolutePath().resolveSibling("nbd");
    // Exports do not outlive a worker: what a previous one left is garbage.
    deleteTree(overlays);
    Files.createDirectories(state);
    Files.createDirectories(
        overlays,
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
  }

  @Override
  public boolean serves(String path) {
    return path.equals("/nbd") || path.startsWith("/nbd/");
  }

  @Override
  public void handle(Request request, Response response, Callback callback, Caller caller) {
    int status = 200;
    String type = "application/json";
    byte[] body;
    try {
      body = JSON.writeValueAsBytes(route(request, caller));
    } catch (ApiError e) {
      status = e.status;
      type = "text/plain; charset=utf-8";
      body = (e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8);
    } catch (BlockliftException | IllegalArgumentException e) {
      status = 400;
      type = "text/plain; charset=utf-8";
      body = (e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.ERROR, "NBD API request failed", e);
      status = 500;
      type = "text/plain; charset=utf-8";
      String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      body = (m.lines().findFirst().orElse(m) + "\n").getBytes(StandardCharsets.UTF_8);
    }
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
    response.write(true, ByteBuffer.wrap(body), callback);
  }

  /** A refusal with its HTTP status. */
  private static final class ApiError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int status;

    ApiError(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  private Object route(Request request, Caller caller) throws IOException {
    String path = request.getHttpURI().getPath();
    String method = request.getMethod();
    Fields q = Request.extractQueryParameters(request);
    if (path.equals("/nbd")) {
      switch (method) {
        case "GET" -> {
          return list();
        }
        case "POST" -> {
          return describe(start(q, caller));
        }
        case "DELETE" -> {
          return stop(idOf(q));
        }
        default -> throw new ApiError(405, "use GET, POST or DELETE on /nbd, not " + method);
      }
    }
    if (path.equals("/nbd/stop")) {
      if (!method.equals("POST")) {
        throw new ApiError(405, "use POST, not " + method);
      }
      return stop(idOf(q));
    }
    throw new ApiError(404, "no such resource " + path + "; see /nbd and /nbd/stop");
  }

  private Live start(Fields q, Caller caller) throws IOException {
    if (closed) {
      throw new ApiError(503, "the worker is stopping");
    }
    ImageName image = ImageName.parse(required(q, "image"));
    boolean rw = bool(q, "rw");
    String socket = q.getValue("socket");
    String listen = q.getValue("listen");
    if (socket != null && listen != null) {
      throw new ApiError(400, "give socket or listen, not both");
    }
    String id = newId();
    Path socketPath = null;
    InetSocketAddress address = null;
    if (listen != null) {
      address = hostPort(listen);
      if (!address.getAddress().isLoopbackAddress() && !caller.root()) {
        throw new ApiError(
            403,
            "NBD has no authentication: only root may listen beyond loopback (" + listen + ")");
      }
    } else {
      socketPath = socket != null ? checkSocket(socket) : defaultSocket(id);
    }
    Worker.Image img = worker.open(image);
    NbdExport export;
    try {
      if (rw) {
        CowOverlay overlay =
            CowOverlay.open(
                overlays.resolve(id),
                img.device().size(),
                CowOverlay.Identity.newMount(manifestDigest(img)));
        export =
            NbdExport.copyOnWrite(
                image.toString(),
                "blocklift " + image + " (copy-on-write)",
                img.device(),
                new CowDevice(img.device(), overlay, true));
      } else {
        export = NbdExport.readOnly(image.toString(), "blocklift " + image, img.device());
      }
    } catch (IOException | RuntimeException e) {
      img.device().close();
      throw e;
    }
    NbdServer server;
    try {
      server =
          address != null ? NbdServer.tcp(export, address) : NbdServer.unix(export, socketPath);
    } catch (IOException | RuntimeException e) {
      closeQuietly(export);
      throw new BlockliftException(
          "cannot serve NBD on " + (address != null ? listen : socketPath) + ": " + e.getMessage(),
          e);
    }
    Live l = new Live(id, image.toString(), !rw, Instant.now(), server, caller.name());
    live.put(id, l);
    LOG.log(System.Logger.Level.INFO, "NBD export " + id + " of " + image + " at " + server.uri());
    return l;
  }

  /** A caller's socket path: absolute, in an existing directory, not there yet. */
  private static Path checkSocket(String s) {
    Path p = Path.of(s);
    if (!p.isAbsolute()) {
      throw new ApiError(400, "socket must be an absolute path, got \"" + s + "\"");
    }
    if (!Files.isDirectory(p.getParent())) {
      throw new ApiError(400, "the socket's directory " + p.getParent() + " does not exist");
    }
    if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
      throw new ApiError(400, p + " exists; remove it or choose another socket path");
    }
    return p;
  }

  private Path defaultSocket(String id) throws IOException {
    if (!Files.isDirectory(sockets)) {
      Files.createDirectories(
          sockets,
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-x---")));
      // Reachable by the group of the directory it is in (e.g. /run/blocklift's).
      PosixFileAttributes parent =
          Files.readAttributes(sockets.getParent(), PosixFileAttributes.class);
      Files.getFileAttributeView(sockets, java.nio.file.attribute.PosixFileAttributeView.class)
          .setGroup(parent.group());
    }
    return sockets.resolve(id + ".sock");
  }

  private Map<String, Object> stop(String id) throws IOException {
    Live l = live.remove(id);
    if (l == null) {
      throw new ApiError(404, "no NBD export " + id);
    }
    close(l);
    return Map.of("stopped", id);
  }

  private void close(Live l) throws IOException {
    try {
      l.server().close();
    } finally {
      l.server().export().close();
      deleteTree(overlays.resolve(l.id()));
      LOG.log(System.Logger.Level.INFO, "NBD export " + l.id() + " of " + l.image() + " stopped");
    }
  }

  private List<Map<String, Object>> list() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Live l : live.values()) {
      out.add(describe(l));
    }
    return out;
  }

  private static Map<String, Object> describe(Live l) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", l.id());
    m.put("image", l.image());
    m.put("uri", l.server().uri());
    l.server().socket().ifPresent(s -> m.put("socket", s.toString()));
    l.server()
        .address()
        .ifPresent(a -> m.put("listen", a.getAddress().getHostAddress() + ":" + a.getPort()));
    m.put("readOnly", l.readOnly());
    m.put("size", l.server().export().size());
    m.put("connections", l.server().connections());
    m.put("started", l.started().toString());
    m.put("owner", l.owner());
    return m;
  }

  @Override
  public String prometheus() {
    long connections = 0;
    long requests = 0;
    long errors = 0;
    long dropped = 0;
    long read = 0;
    long written = 0;
    for (Live l : live.values()) {
      NbdStats s = l.server().stats();
      connections += s.open.get();
      requests += s.requests.sum();
      errors += s.errors.sum();
      dropped += s.dropped.sum();
      read += s.bytesRead.sum();
      written += s.bytesWritten.sum();
    }
    return "# TYPE blocklift_nbd_exports gauge\nblocklift_nbd_exports "
        + live.size()
        + "\n# TYPE blocklift_nbd_connections gauge\nblocklift_nbd_connections "
        + connections
        + "\n# TYPE blocklift_nbd_requests_total counter\nblocklift_nbd_requests_total "
        + requests
        + "\n# TYPE blocklift_nbd_errors_total counter\nblocklift_nbd_errors_total "
        + errors
        + "\n# TYPE blocklift_nbd_dropped_total counter\nblocklift_nbd_dropped_total "
        + dropped
        + "\n# TYPE blocklift_nbd_read_bytes_total counter\nblocklift_nbd_read_bytes_total "
        + read
        + "\n# TYPE blocklift_nbd_written_bytes_total counter\nblocklift_nbd_written_bytes_total "
        + written
        + "\n";
  }

  @Override
  public void close() {
    closed = true;
    for (String id : List.copyOf(live.keySet())) {
      Live l = live.remove(id);
      if (l != null) {
        try {
          close(l);
        } catch (IOException | RuntimeException e) {
          LOG.log(System.Logger.Level.WARNING, "stopping NBD export " + id + ": " + e);
        }
      }
    }
  }

  static byte[] manifestDigest(Worker.Image img) {
    byte[] d = HexFormat.of().parseHex(img.map().manifest().digest().hex());
    if (d.length == 32) {
      return d;
    }
    try {
      return MessageDigest.getInstance("SHA-256")
          .digest(img.map().manifest().digest().toString().getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  static InetSocketAddress hostPort(String s) {
    int colon = s.lastIndexOf(':');
    if (colon <= 0) {
      throw new ApiError(400, "listen must be HOST:PORT, got \"" + s + "\"");
    }
    String host = s.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(s.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new ApiError(400, "listen must be HOST:PORT, got \"" + s + "\"");
    }
    if (port < 0 || port > 65535) {
      throw new ApiError(400, "port out of range in \"" + s + "\"");
    }
    try {
      return new InetSocketAddress(InetAddress.getByName(host), port);
    } catch (java.net.UnknownHostException e) {
      throw new ApiError(400, "unknown host \"" + host + "\"");
    }
  }

  private static String newId() {
    byte[] b = new byte[6];
    RANDOM.nextBytes(b);
    return "nbd-" + HexFormat.of().formatHex(b);
  }

  /** The export to stop: {@code id=ID} (or {@code name=ID}). */
  private static String idOf(Fields q) {
    String name = q.getValue("name");
    return q.getValue("id") == null && name != null && !name.isBlank() ? name : required(q, "id");
  }

  private static String required(Fields q, String key) {
    String v = q.getValue(key);
    if (v == null || v.isBlank()) {
      throw new ApiError(400, "missing query parameter \"" + key + "\"");
    }
    return v;
  }

  private static boolean bool(Fields q, String key) {
    String v = q.getValue(key);
    if (v == null || v.equals("false")) {
      return false;
    }
    if (v.equals("true")) {
      return true;
    }
    throw new ApiError(400, key + " must be true or false, got \"" + v + "\"");
  }

  private static void closeQuietly(NbdExport e) {
    try {
      e.close();
    } catch (IOException | RuntimeException x) {
      LOG.log(System.Logger.Level.WARNING, "closing an export: " + x);
    }
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (var s = Files.walk(p)) {
      for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(x);
      }
    }
  }
}
