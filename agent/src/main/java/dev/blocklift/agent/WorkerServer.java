package dev.blocklift.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ImageName;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/*
 * Design: the worker's API, HTTP/1.1 on a unix socket (Jetty 12 core, no servlets).
 *
 *   GET  /health                                   "ok"
 *   GET  /metrics                                  Prometheus text
 *   GET  /mounts                                   JSON list of mounts (user mounts and runs)
 *   POST /mount?image=NAME:TAG&dir=DIR[&ro=true]   mount (nodev,nosuid) under a mount root
 *   POST /umount?dir=DIR                           undo it
 *   POST /runs?pid=N                               body: cwd, then `blocklift run` arguments, NUL-separated;
 *                                                  answer: key=value lines (id, bundle, ...)
 *   POST /runs/ID/exit?code=N                      the client's runc exited: JSON stats, cleanup
 *   GET  /runs/ID/trace                            the run's chunk-read trace
 *
 * Authentication: on the unix socket, the kernel's peer credentials (SO_PEERCRED) of the
 * connection: root or a member of the worker's group (CallerPolicy); the socket file itself is
 * 0660 and owned by that group, so others cannot even connect. On the optional TCP listener,
 * `Authorization: Bearer TOKEN` with the token from a 0600 file, compared in constant time; TCP
 * callers count as members, not root. Errors are one line of text with a 4xx for the caller's
 * mistakes and a 5xx for the worker's, never an exception's toString. Requests run on virtual
 * threads, so a mount stuck on a slow store holds nothing but its own request.
 */
/** The worker daemon's HTTP API. */
public final class WorkerServer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final System.Logger LOG = System.getLogger(WorkerServer.class.getName());
  private static final int MAX_BODY = 1 << 20;

  private final WorkerMounts mounts;
  private final WorkerRuns runs;
  private final CallerPolicy policy;
  private final Optional<byte[]> token;
  private final Server server;
  private final UnixDomainServerConnector unix;
  private final ServerConnector tcp;
  private final ServerConnector invokeTcp;
  private final List<WorkerApi> apis = new java.util.concurrent.CopyOnWriteArrayList<>();

  /** How the API is exposed. */
  public record Listen(
      Path socket,
      String socketMode,
      Optional<InetSocketAddress> tcp,
      Optional<Path> tokenFile,
      Optional<InetSocketAddress> invokeTcp) {
    public Listen {
      PosixFilePermissions.fromString(socketMode); // validates: rw-rw---- style
      if (tcp.isPresent() && tokenFile.isEmpty()) {
        throw new BlockliftException("a TCP listener needs --token-file (the API is never open)");
      }
      if (invokeTcp.isPresent() && tokenFile.isEmpty()) {
        throw new BlockliftException(
            "--invoke-listen needs --token-file: invokes are signed with it (AWS SigV4 with the"
                + " token as the secret key) or carry it as a bearer token");
      }
    }

    public Listen(
        Path socket, String socketMode, Optional<InetSocketAddress> tcp, Optional<Path> tokenFile) {
      this(socket, socketMode, tcp, tokenFile, Optional.empty());
    }
  }

  private WorkerServer(
      WorkerMounts mounts, WorkerRuns runs, CallerPolicy policy, Listen listen, byte[] token)
      throws IOException {
    this.mounts = mounts;
    this.runs = runs;
    this.policy = policy;
    this.token = Optional.ofNullable(token);
    QueuedThreadPool pool = new QueuedThreadPool(32, 2);
    pool.setName("worker-api");
    pool.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
    this.server = new Server(pool);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendDateHeader(false);
    http.setRequestHeaderSize(16 * 1024);
    http.setIdleTimeout(30_000);
    this.unix = new UnixDomainServerConnector(server, new HttpConnectionFactory(http));
    Files.createDirectories(listen.socket().toAbsolutePath().getParent());
    Files.deleteIfExists(listen.socket());
    unix.setUnixDomainPath(listen.socket());
    unix.setIdleTimeout(30_000);
    server.addConnector(unix);
    if (listen.tcp().isPresent()) {
      this.tcp = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
      tcp.setHost(listen.tcp().get().getHostString());
      tcp.setPort(listen.tcp().get().getPort());
      tcp.setIdleTimeout(30_000);
      server.addConnector(tcp);
    } else {
      this.tcp = null;
    }
    if (listen.invokeTcp().isPresent()) {
      this.invokeTcp = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
      invokeTcp.setHost(listen.invokeTcp().get().getHostString());
      invokeTcp.setPort(listen.invokeTcp().get().getPort());
      invokeTcp.setIdleTimeout(120_000);
      server.addConnector(invokeTcp);
    } else {
      this.invokeTcp = null;
    }
    server.setHandler(new Api());
  }

  /** Starts the API over {@code mounts} (which the server then owns). */
  public static WorkerServer start(WorkerMounts mounts, WorkerRuns runs, Listen listen)
      throws IOException {
    return start(mounts, runs, listen, CallerPolicy.system());
  }

  static WorkerServer start(
      WorkerMounts mounts, WorkerRuns runs, Listen listen, CallerPolicy policy) throws IOException {
    return start(mounts, runs, listen, policy, token -> List.of());
  }

  /** What makes the extra APIs, given the token of {@code --token-file} (if any). */
  @FunctionalInterface
  interface Apis {
    List<WorkerApi> open(Optional<byte[]> token) throws IOException;
  }

  static WorkerServer start(
      WorkerMounts mounts, WorkerRuns runs, Listen listen, CallerPolicy policy, Apis apis)
      throws IOException {
    byte[] token = null;
    if (listen.tokenFile().isPresent()) {
      token = readToken(listen.tokenFile().get());
    }
    WorkerServer s = new WorkerServer(mounts, runs, policy, listen, token);
    s.apis.addAll(apis.open(Optional.ofNullable(token).map(byte[]::clone)));
    try {
      s.server.start();
    } catch (Exception e) {
      throw new BlockliftException(
          "cannot serve the worker API on " + listen.socket() + ": " + e.getMessage(), e);
    }
    s.secureSocket(listen.socket(), listen.socketMode());
    return s;
  }

  private void secureSocket(Path socket, String mode) throws IOException {
    Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString(mode));
    if (policy.members().isPresent()) {
      GroupPrincipal g =
          socket
              .getFileSystem()
              .getUserPrincipalLookupService()
              .lookupPrincipalByGroupName(policy.groupName());
      Files.getFileAttributeView(socket, PosixFileAttributeView.class).setGroup(g);
    }
  }

  static byte[] readToken(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new BlockliftException("token file " + file + " does not exist");
    }
    String perms = PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
    if (!perms.substring(3).equals("------")) {
      throw new BlockliftException(
          "token file " + file + " is readable by others (" + perms + "); chmod 600 it");
    }
    byte[] t =
        Files.readString(file, StandardCharsets.UTF_8).strip().getBytes(StandardCharsets.UTF_8);
    if (t.length < 16) {
      throw new BlockliftException(
          "token in " + file + " is " + t.length + " bytes; use at least 16 random characters");
    }
    return t;
  }

  /** The invoke listener's TCP port, when there is one. */
  public Optional<Integer> invokePort() {
    return invokeTcp == null ? Optional.empty() : Optional.of(invokeTcp.getLocalPort());
  }

  /** The TCP port, when listening on TCP. */
  public Optional<Integer> tcpPort() {
    return tcp == null ? Optional.empty() : Optional.of(tcp.getLocalPort());
  }

  /** Stops serving the API (mounts are the caller's to hand over or close). */
  @Override
  public void close() throws IOException {
    try {
      server.stop();
    } catch (Exception e) {
      throw new IOException("stopping the worker API: " + e.getMessage(), e);
    } finally {
      for (WorkerApi a : apis) {
        a.close();
      }
    }
  }

  /** A refusal or a failure with its status, answered as one line of text. */
  static final class ApiError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int status;

    ApiError(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  private final class Api extends Handler.Abstract {
    Api() {
      super(InvocationType.BLOCKING);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      int status = 200;
      String type = "application/json";
      byte[] body;
      try {
        String path = request.getHttpURI().getPath();
        boolean invokeListener =
            invokeTcp != null && request.getConnectionMetaData().getConnector() == invokeTcp;
        WorkerApi api = null;
        for (WorkerApi a : apis) {
          if (path != null && a.serves(path)) {
            api = a;
            break;
          }
        }
        if (invokeListener) {
          if (api == null) {
            throw new ApiError(404, "the invoke listener serves the Invoke API only");
          }
          api.handle(
              request,
              response,
              callback,
              WorkerApi.Caller.unauthenticated(
                  String.valueOf(request.getConnectionMetaData().getRemoteSocketAddress())));
          return true;
        }
        WorkerApi.Caller caller = authenticate(request);
        if (api != null) {
          api.handle(request, response, callback, caller);
          return true;
        }
        boolean root = caller.root();
        Object result = route(request, root);
        if (result instanceof String s) {
          type = "text/plain; charset=utf-8";
          body = s.getBytes(StandardCharsets.UTF_8);
        } else if (result instanceof byte[] b) {
          body = b;
        } else {
          body = JSON.writeValueAsBytes(result);
        }
      } catch (ApiError e) {
        status = e.status;
        type = "text/plain; charset=utf-8";
        body = (e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8);
      } catch (BlockliftException | IllegalArgumentException e) {
        status = 400;
        type = "text/plain; charset=utf-8";
        body = (e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8);
      } catch (Exception e) {
        LOG.log(
            System.Logger.Level.ERROR,
            request.getMethod() + " " + request.getHttpURI().getPathQuery() + " failed",
            e);
        status = 500;
        type = "text/plain; charset=utf-8";
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        body = (m.lines().findFirst().orElse(m) + "\n").getBytes(StandardCharsets.UTF_8);
      }
      response.setStatus(status);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
      response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
      response.write(true, java.nio.ByteBuffer.wrap(body), callback);
      return true;
    }
  }

  /** Checks the caller (else throws a 401 or 403). */
  private WorkerApi.Caller authenticate(Request request) throws IOException {
    EndPoint ep = request.getConnectionMetaData().getConnection().getEndPoint();
    if (tcp != null && request.getConnectionMetaData().getConnector() == tcp) {
      String auth = request.getHeaders().get(HttpHeader.AUTHORIZATION);
      byte[] given =
          auth != null && auth.startsWith("Bearer ")
              ? auth.substring(7).strip().getBytes(StandardCharsets.UTF_8)
              : new byte[0];
      if (!MessageDigest.isEqual(given, token.orElseThrow())) {
        throw new ApiError(401, "missing or wrong bearer token");
      }
      return new WorkerApi.Caller(true, false, "token");
    }
    if (!(ep instanceof SocketChannelEndPoint sep) || sep.getChannel() == null) {
      throw new ApiError(403, "cannot identify the caller on this connection");
    }
    SocketChannel ch = sep.getChannel();
    UnixDomainPrincipal p = ch.getOption(ExtendedSocketOptions.SO_PEERCRED);
    CallerPolicy.Caller caller = new CallerPolicy.Caller(p.user().getName(), p.group().getName());
    Optional<String> refusal = policy.refusal(caller);
    if (refusal.isPresent()) {
      throw new ApiError(403, refusal.get());
    }
    return new WorkerApi.Caller(true, caller.isRoot(), caller.toString());
  }

  private Object route(Request request, boolean root) throws IOException {
    String path = request.getHttpURI().getPath();
    String method = request.getMethod();
    Fields q = Request.extractQueryParameters(request);
    if (path == null) {
      throw new ApiError(400, "no path");
    }
    switch (path) {
      case "/health" -> {
        return expect(method, "GET", "ok\n");
      }
      case "/metrics" -> {
        expect(method, "GET", null);
        StringBuilder m = new StringBuilder(mounts.worker().prometheus() + runs.prometheus());
        apis.forEach(a -> m.append(a.prometheus()));
        return m.toString();
      }
      case "/mounts" -> {
        expect(method, "GET", null);
        return list();
      }
      case "/mount" -> {
        expect(method, "POST", null);
        ImageName image = ImageName.parse(required(q, "image"));
        boolean ro = bool(q, "ro");
        MountRecord r = mounts.mount(image, required(q, "dir"), ro);
        return Map.of("mounted", r.image(), "dir", r.dir(), "id", r.id());
      }
      case "/umount" -> {
        expect(method, "POST", null);
        mounts.umount(required(q, "dir"));
        return Map.of("unmounted", required(q, "dir"));
      }
      case "/runs" -> {
        expect(method, "POST", null);
        if (!root) {
          throw new ApiError(
              403, "runs need a root caller: the client starts the container with runc");
        }
        List<String> argv = new ArrayList<>(nulSeparated(body(request)));
        if (argv.isEmpty() || !argv.getFirst().startsWith("/")) {
          throw new ApiError(400, "the body is the client's working directory, then the arguments");
        }
        Path cwd = Path.of(argv.removeFirst());
        long pid = number(q, "pid");
        Map<String, String> answer = runs.prepare(argv, cwd, pid);
        StringBuilder sb = new StringBuilder();
        answer.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        return sb.toString();
      }
      default -> {
        if (path.startsWith("/runs/")) {
          return runRoute(method, path.substring("/runs/".length()), q, root);
        }
        throw new ApiError(
            404,
            "no such resource " + path + "; see /health /metrics /mounts /mount /umount /runs");
      }
    }
  }

  private Object runRoute(String method, String rest, Fields q, boolean root) throws IOException {
    if (!root) {
      throw new ApiError(403, "runs need a root caller");
    }
    int slash = rest.indexOf('/');
    if (slash < 0) {
      throw new ApiError(404, "use /runs/ID/exit or /runs/ID/trace");
    }
    String id = rest.substring(0, slash);
    String what = rest.substring(slash + 1);
    switch (what) {
      case "exit" -> {
        expect(method, "POST", null);
        long code = number(q, "code");
        if (code < 0 || code > 255) {
          throw new ApiError(400, "exit code must be 0-255, got " + code);
        }
        return runs.finish(id, (int) code, q.getValue("launched"));
      }
      case "trace" -> {
        expect(method, "GET", null);
        return runs.trace(id);
      }
      default -> throw new ApiError(404, "use /runs/ID/exit or /runs/ID/trace");
    }
  }

  private List<Map<String, Object>> list() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (MountRecord r : mounts.list()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", r.id());
      m.put("kind", r.kind());
      m.put("image", r.image());
      m.put("dir", r.dir());
      m.put("readOnly", r.readOnly());
      m.put("loopDevice", r.loopDevice());
      if (r.isRun()) {
        m.put("run", r.runId());
      }
      out.add(m);
    }
    return out;
  }

  private static <T> T expect(String method, String wanted, T value) {
    if (!method.equals(wanted)) {
      throw new ApiError(405, "use " + wanted + ", not " + method);
    }
    return value;
  }

  private static String required(Fields q, String key) {
    String v = q.getValue(key);
    if (v == null || v.isBlank()) {
      throw new ApiError(400, "missing query parameter \"" + key + "\"");
    }
    return v;
  }

  /** Strict booleans: absent = false, else exactly "true" or "false". */
  static boolean bool(Fields q, String key) {
    String v = q.getValue(key);
    if (v == null || v.equals("false")) {
      return false;
    }
    if (v.equals("true")) {
      return true;
    }
    throw new ApiError(400, key + " must be true or false, got \"" + v + "\"");
  }

  private static long number(Fields q, String key) {
    String v = required(q, key);
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new ApiError(400, key + " must be a number, got \"" + v + "\"");
    }
  }

  private static byte[] body(Request request) throws IOException {
    long declared = request.getLength();
    if (declared > MAX_BODY) {
      throw new ApiError(413, "request body of " + declared + " bytes exceeds " + MAX_BODY);
    }
    try (InputStream in = Content.Source.asInputStream(request)) {
      byte[] b = in.readNBytes(MAX_BODY + 1);
      if (b.length > MAX_BODY) {
        throw new ApiError(413, "request body exceeds " + MAX_BODY + " bytes");
      }
      return b;
    }
  }

  static List<String> nulSeparated(byte[] body) {
    List<String> out = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < body.length; i++) {
      if (body[i] == 0) {
        out.add(new String(body, start, i - start, StandardCharsets.UTF_8));
        start = i + 1;
      }
    }
    if (start < body.length) {
      out.add(new String(body, start, body.length - start, StandardCharsets.UTF_8));
    }
    return out;
  }
}
