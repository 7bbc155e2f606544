package dev.blocklift.functions;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.blocklift.agent.WorkerApi;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ByteSize;
import dev.blocklift.core.ImageName;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.UUID;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/*
 * Design: AWS Lambda's REST API as the worker serves it, in Lambda's own wire format so that the
 * AWS SDKs, the AWS CLI and curl work unchanged:
 *
 *   POST   /2015-03-31/functions/{name}/invocations     Invoke (RequestResponse, DryRun)
 *   POST   /2015-03-31/functions                        CreateFunction (PackageType Image)
 *   GET    /2015-03-31/functions                        ListFunctions
 *   GET    /2015-03-31/functions/{name}                 GetFunction
 *   GET    /2015-03-31/functions/{name}/configuration   GetFunctionConfiguration
 *   PUT    /2015-03-31/functions/{name}/configuration   UpdateFunctionConfiguration
 *   PUT    /2015-03-31/functions/{name}/code            UpdateFunctionCode (ImageUri)
 *   DELETE /2015-03-31/functions/{name}                 DeleteFunction
 *   PUT    /2017-10-31/functions/{name}/concurrency     PutFunctionConcurrency
 *   DELETE /2017-10-31/functions/{name}/concurrency     DeleteFunctionConcurrency
 *   GET    /2019-09-30/functions/{name}/concurrency     GetFunctionConcurrency
 *
 * Errors are Lambda's: the type in X-Amzn-ErrorType, a JSON body with Type and message. On the
 * worker's unix socket and --listen port the worker has authenticated the caller already; on the
 * invoke listener this class does: an AWS SigV4 signature made with the worker's token as the
 * secret key (the SDKs and the CLI), or the token as a bearer token (curl).
 */
/** The Lambda API of a worker's functions. */
final class FunctionsApi implements WorkerApi {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final int MAX_PAYLOAD = 6 * 1024 * 1024;
  private static final int MAX_CONTROL_BODY = 1 << 20;
  private static final DateTimeFormatter LAST_MODIFIED =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSxx").withZone(ZoneOffset.UTC);

  private final Functions functions;
  private final Optional<SigV4> signer;
  private final Optional<byte[]> token;
  private final Clock clock;

  FunctionsApi(Functions functions, Optional<byte[]> token, Clock clock) {
    this.functions = functions;
    this.token = token.map(byte[]::clone);
    this.signer = token.map(SigV4::new);
    this.clock = clock;
  }

  @Override
  public boolean serves(String path) {
    return path.startsWith("/2015-03-31/functions")
        || path.startsWith("/2017-10-31/functions")
        || path.startsWith("/2019-09-30/functions");
  }

  @Override
  public String prometheus() {
    return functions.prometheus();
  }

  @Override
  public void close() {
    functions.close();
  }

  /** A response: status, extra headers, body. */
  @SuppressWarnings("ArrayRecordComponent") // written once to the response, never changed
  private record Answer(int status, Map<String, String> headers, byte[] body) {
    static Answer json(int status, JsonNode body) throws JsonProcessingException {
      return new Answer(status, Map.of(), JSON.writeValueAsBytes(body));
    }
  }

  @Override
  public void handle(Request request, Response response, Callback callback, Caller caller) {
    String requestId = UUID.randomUUID().toString();
    Answer a;
    try {
      String path = request.getHttpURI().getPath();
      byte[] body =
          RuntimeApi.body(request, path.endsWith("/invocations") ? MAX_PAYLOAD : MAX_CONTROL_BODY);
      if (!caller.authenticated()) {
        authenticate(request, body);
      }
      a = route(request, path, body);
      if (a.headers().containsKey("X-Amzn-RequestId")) {
        requestId = a.headers().get("X-Amzn-RequestId");
      }
    } catch (LambdaError e) {
      a = error(e);
    } catch (RuntimeApi.TooLarge e) {
      a =
          error(
              new LambdaError(
                  LambdaError.Kind.REQUEST_TOO_LARGE,
                  "Request must be smaller than "
                      + MAX_PAYLOAD
                      + " bytes for the Invoke API ("
                      + e.getMessage()
                      + ")"));
    } catch (IOException e) {
      a = error(new LambdaError(LambdaError.Kind.SERVICE, String.valueOf(e.getMessage())));
    } catch (BlockliftException | IllegalArgumentException e) {
      a = error(LambdaError.invalid(e.getMessage()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      a = error(new LambdaError(LambdaError.Kind.SERVICE, "interrupted"));
    } catch (RuntimeException e) {
      System.getLogger(FunctionsApi.class.getName())
          .log(System.Logger.Level.ERROR, "functions API request failed", e);
      a = error(new LambdaError(LambdaError.Kind.SERVICE, String.valueOf(e.getMessage())));
    }
    response.setStatus(a.status());
    var h = response.getHeaders();
    h.put("X-Amzn-RequestId", requestId);
    a.headers().forEach(h::put);
    if (!a.headers().containsKey("Content-Type")) {
      h.put(HttpHeader.CONTENT_TYPE, "application/json");
    }
    h.put(HttpHeader.CONTENT_LENGTH, a.body().length);
    response.write(true, ByteBuffer.wrap(a.body()), callback);
  }

  private void authenticate(Request request, byte[] body) {
    String auth = request.getHeaders().get(HttpHeader.AUTHORIZATION);
    if (auth == null) {
      throw new LambdaError(
          LambdaError.Kind.UNAUTHORIZED,
          "Missing Authentication Token: sign the request (AWS SigV4, secret key = the worker's"
              + " token) or send Authorization: Bearer TOKEN");
    }
    if (auth.startsWith("Bearer ")) {
      byte[] given = auth.substring(7).strip().getBytes(StandardCharsets.UTF_8);
      if (!MessageDigest.isEqual(given, token.orElseThrow())) {
        throw new LambdaError(LambdaError.Kind.UNAUTHORIZED, "The bearer token is not valid.");
      }
      return;
    }
    Map<String, List<String>> headers = new TreeMap<>();
    for (HttpField f : request.getHeaders()) {
      headers
          .computeIfAbsent(f.getName().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
          .add(f.getValue());
    }
    SigV4.Signed signed =
        new SigV4.Signed(
            request.getMethod(),
            request.getHttpURI().getPath() == null ? "/" : rawPath(request),
            request.getHttpURI().getQuery(),
            headers,
            body);
    Optional<String> refusal = signer.orElseThrow().check(signed, clock.instant());
    if (refusal.isPresent()) {
      throw new LambdaError(LambdaError.Kind.SIGNATURE, refusal.get());
    }
  }

  /** The path as it came on the wire (still percent-encoded), which is what was signed. */
  private static String rawPath(Request request) {
    String pq = request.getHttpURI().getPathQuery();
    int q = pq.indexOf('?');
    return q < 0 ? pq : pq.substring(0, q);
  }

  private Answer route(Request request, String path, byte[] body)
      throws IOException, InterruptedException {
    String method = request.getMethod();
    String[] p = path.split("/");
    // p[0] = "", p[1] = API version, p[2] = "functions", p[3] = name, p[4] = sub-resource
    if (p.length < 3 || !p[2].equals("functions")) {
      throw new LambdaError(LambdaError.Kind.RESOURCE_NOT_FOUND, "no such resource " + path);
    }
    String version = p[1];
    if (p.length == 3) {
      if (!version.equals("2015-03-31")) {
        throw new LambdaError(LambdaError.Kind.RESOURCE_NOT_FOUND, "no such resource " + path);
      }
      return switch (method) {
        case "GET" -> list();
        case "POST" -> create(body);
        default -> throw methodNotAllowed(method, path);
      };
    }
    FunctionName.Reference ref = FunctionName.fromReference(decode(p[3]));
    String sub = p.length > 4 ? p[4] : "";
    if (p.length > 5) {
      throw new LambdaError(LambdaError.Kind.RESOURCE_NOT_FOUND, "no such resource " + path);
    }
    FunctionName name = ref.name();
    switch (version + " " + sub) {
      case "2015-03-31 invocations" -> {
        requireMethod(method, "POST", path);
        qualifier(request, ref); // only $LATEST exists: any other is refused
        return invoke(request, name, body);
      }
      case "2015-03-31 " -> {
        return switch (method) {
          case "GET" -> getFunction(name);
          case "DELETE" -> {
            functions.delete(name);
            yield new Answer(204, Map.of(), new byte[0]);
          }
          default -> throw methodNotAllowed(method, path);
        };
      }
      case "2015-03-31 configuration" -> {
        return switch (method) {
          case "GET" -> Answer.json(200, configuration(functions.get(name)));
          case "PUT" -> Answer.json(200, configuration(updateConfiguration(name, parse(body))));
          default -> throw methodNotAllowed(method, path);
        };
      }
      case "2015-03-31 code" -> {
        requireMethod(method, "PUT", path);
        JsonNode n = parse(body);
        if (!n.hasNonNull("ImageUri")) {
          throw LambdaError.invalid(
              "UpdateFunctionCode needs ImageUri (a blocklift image NAME:TAG)");
        }
        ImageName image = imageUri(n.get("ImageUri").asText());
        return Answer.json(200, configuration(functions.update(name, c -> c.withImage(image))));
      }
      case "2017-10-31 concurrency" -> {
        return switch (method) {
          case "PUT" -> {
            JsonNode n = parse(body);
            if (!n.path("ReservedConcurrentExecutions").canConvertToInt()) {
              throw LambdaError.invalid(
                  "PutFunctionConcurrency needs ReservedConcurrentExecutions");
            }
            int r = n.get("ReservedConcurrentExecutions").asInt();
            functions.update(name, c -> c.withReservedConcurrency(OptionalInt.of(r)));
            yield Answer.json(200, JSON.createObjectNode().put("ReservedConcurrentExecutions", r));
          }
          case "DELETE" -> {
            functions.update(name, c -> c.withReservedConcurrency(OptionalInt.empty()));
            yield new Answer(204, Map.of(), new byte[0]);
          }
          default -> throw methodNotAllowed(method, path);
        };
      }
      case "2019-09-30 concurrency" -> {
        requireMethod(method, "GET", path);
        ObjectNode n = JSON.createObjectNode();
        functions
            .get(name)
            .reservedConcurrency()
            .ifPresent(r -> n.put("ReservedConcurrentExecutions", r));
        return Answer.json(200, n);
      }
      default ->
          throw new LambdaError(LambdaError.Kind.RESOURCE_NOT_FOUND, "no such resource " + path);
    }
  }

  private static void qualifier(Request request, FunctionName.Reference ref) {
    String q = Request.extractQueryParameters(request).getValue("Qualifier");
    Optional<String> qualifier = Optional.ofNullable(q).or(ref::qualifier);
    if (qualifier.isPresent() && !qualifier.get().equals("$LATEST")) {
      throw new LambdaError(
          LambdaError.Kind.RESOURCE_NOT_FOUND,
          "Function not found: "
              + ref.name()
              + ":"
              + qualifier.get()
              + " (blocklift functions have only $LATEST)");
    }
  }

  private Answer invoke(Request request, FunctionName name, byte[] body)
      throws IOException, InterruptedException {
    String type =
        Optional.ofNullable(request.getHeaders().get("X-Amz-Invocation-Type"))
            .orElse("RequestResponse");
    String logType = Optional.ofNullable(request.getHeaders().get("X-Amz-Log-Type")).orElse("None");
    if (!logType.equals("None") && !logType.equals("Tail")) {
      throw LambdaError.invalid("X-Amz-Log-Type must be None or Tail, got \"" + logType + "\"");
    }
    if (body.length > 0) {
      try {
        JSON.readTree(body);
      } catch (IOException e) {
        throw new LambdaError(
            LambdaError.Kind.INVALID_REQUEST_CONTENT,
            "Could not parse request body into json: " + firstLine(e.getMessage()));
      }
    }
    Optional<String> clientContext =
        Optional.ofNullable(request.getHeaders().get("X-Amz-Client-Context"));
    if (clientContext.isPresent()) {
      try {
        java.util.Base64.getDecoder().decode(clientContext.get());
      } catch (IllegalArgumentException e) {
        throw new LambdaError(
            LambdaError.Kind.INVALID_REQUEST_CONTENT, "X-Amz-Client-Context is not base64");
      }
    }
    switch (type) {
      case "DryRun" -> {
        functions.get(name);
        return new Answer(204, Map.of("X-Amz-Executed-Version", "$LATEST"), new byte[0]);
      }
      case "RequestResponse" -> {
        Invoker.Outcome o = functions.invoke(name, body, clientContext, logType.equals("Tail"));
        Map<String, String> h = new LinkedHashMap<>();
        h.put("X-Amz-Executed-Version", "$LATEST");
        h.put("X-Amzn-RequestId", o.requestId());
        o.result().functionError().ifPresent(e -> h.put("X-Amz-Function-Error", e));
        o.logTail().ifPresent(t -> h.put("X-Amz-Log-Result", t));
        return new Answer(200, h, o.result().payload());
      }
      case "Event" ->
          throw LambdaError.invalid(
              "asynchronous invokes (X-Amz-Invocation-Type: Event) are not served by a single"
                  + " worker yet; use RequestResponse");
      default ->
          throw LambdaError.invalid(
              "X-Amz-Invocation-Type must be RequestResponse, Event or DryRun, got \""
                  + type
                  + "\"");
    }
  }

  private Answer list() throws JsonProcessingException {
    ObjectNode n = JSON.createObjectNode();
    ArrayNode a = n.putArray("Functions");
    for (FunctionConfig c : functions.list()) {
      a.add(configuration(c));
    }
    return Answer.json(200, n);
  }

  private Answer getFunction(FunctionName name) throws JsonProcessingException {
    FunctionConfig c = functions.get(name);
    ObjectNode n = JSON.createObjectNode();
    n.set("Configuration", configuration(c));
    ObjectNode code = n.putObject("Code");
    code.put("RepositoryType", "blocklift");
    code.put("ImageUri", c.image().toString());
    c.reservedConcurrency()
        .ifPresent(r -> n.putObject("Concurrency").put("ReservedConcurrentExecutions", r));
    return Answer.json(200, n);
  }

  private Answer create(byte[] body) throws IOException {
    JsonNode n = parse(body);
    if (!n.hasNonNull("FunctionName")) {
      throw LambdaError.invalid("CreateFunction needs FunctionName");
    }
    String packageType = n.path("PackageType").asText("Image");
    if (!packageType.equals("Image")) {
      throw LambdaError.invalid(
          "blocklift runs container images only: PackageType must be Image, got " + packageType);
    }
    if (!n.path("Code").hasNonNull("ImageUri")) {
      throw LambdaError.invalid("CreateFunction needs Code.ImageUri (a blocklift image NAME:TAG)");
    }
    FunctionConfig c =
        FunctionConfig.create(
            FunctionName.of(n.get("FunctionName").asText()),
            imageUri(n.path("Code").get("ImageUri").asText()),
            clock.instant());
    c = applyConfiguration(c, n);
    if (n.path("ReservedConcurrentExecutions").canConvertToInt()) {
      c = c.withReservedConcurrency(OptionalInt.of(n.get("ReservedConcurrentExecutions").asInt()));
    }
    return Answer.json(201, configuration(functions.create(c)));
  }

  private FunctionConfig updateConfiguration(FunctionName name, JsonNode n) throws IOException {
    return functions.update(name, c -> applyConfiguration(c, n));
  }

  /** The configuration fields of CreateFunction and UpdateFunctionConfiguration. */
  private static FunctionConfig applyConfiguration(FunctionConfig c, JsonNode n) {
    if (n.has("MemorySize")) {
      if (!n.get("MemorySize").canConvertToInt()) {
        throw LambdaError.invalid("MemorySize must be a number of MB");
      }
      c = c.withMemory(ByteSize.ofMiB(n.get("MemorySize").asInt()));
    }
    if (n.has("Timeout")) {
      if (!n.get("Timeout").canConvertToInt()) {
        throw LambdaError.invalid("Timeout must be a number of seconds");
      }
      c = c.withTimeout(Duration.ofSeconds(n.get("Timeout").asInt()));
    }
    if (n.has("Environment")) {
      Map<String, String> env = new TreeMap<>();
      n.path("Environment")
          .path("Variables")
          .properties()
          .forEach(e -> env.put(e.getKey(), e.getValue().asText()));
      c = c.withEnv(env);
    }
    if (n.has("ImageConfig")) {
      JsonNode cmd = n.path("ImageConfig").path("Command");
      if (cmd.isArray() && !cmd.isEmpty()) {
        if (cmd.size() != 1) {
          throw LambdaError.invalid("ImageConfig.Command takes one handler, got " + cmd.size());
        }
        c = c.withHandler(Optional.of(cmd.get(0).asText()));
      } else {
        c = c.withHandler(Optional.empty());
      }
    }
    return c;
  }

  private static ImageName imageUri(String text) {
    try {
      return ImageName.parse(text);
    } catch (RuntimeException e) {
      throw LambdaError.invalid(
          "ImageUri must be a blocklift image NAME:TAG, got \"" + text + "\"");
    }
  }

  private ObjectNode configuration(FunctionConfig c) {
    ObjectNode n = JSON.createObjectNode();
    n.put("FunctionName", c.name().value());
    n.put("FunctionArn", functions.arn(c.name()));
    n.put("PackageType", "Image");
    n.put("MemorySize", c.memoryMiB());
    n.put("Timeout", c.timeoutSeconds());
    n.put("Version", "$LATEST");
    n.put("State", "Active");
    n.put("LastUpdateStatus", "Successful");
    n.put("LastModified", LAST_MODIFIED.format(c.lastModified()));
    n.put("RevisionId", Long.toString(c.revision()));
    n.put("CodeSha256", hex(SigV4.sha256(c.image().toString().getBytes(StandardCharsets.UTF_8))));
    n.put("Role", "arn:aws:iam::" + functions.account() + ":role/blocklift");
    ArrayNode arch = n.putArray("Architectures");
    arch.add("x86_64");
    n.putObject("EphemeralStorage").put("Size", functions.scratchMiB());
    ObjectNode env = n.putObject("Environment").putObject("Variables");
    c.env().forEach(env::put);
    ObjectNode image = n.putObject("ImageConfigResponse").putObject("ImageConfig");
    c.handler().ifPresent(h -> image.putArray("Command").add(h));
    return n;
  }

  private static JsonNode parse(byte[] body) {
    if (body.length == 0) {
      return JSON.createObjectNode();
    }
    try {
      JsonNode n = JSON.readTree(body);
      if (!n.isObject()) {
        throw LambdaError.invalid("the request body must be a JSON object");
      }
      return n;
    } catch (IOException e) {
      throw LambdaError.invalid("the request body is not JSON: " + firstLine(e.getMessage()));
    }
  }

  private static LambdaError methodNotAllowed(String method, String path) {
    return new LambdaError(
        LambdaError.Kind.INVALID_PARAMETER, method + " is not an operation on " + path);
  }

  private static void requireMethod(String method, String wanted, String path) {
    if (!method.equals(wanted)) {
      throw methodNotAllowed(method, path);
    }
  }

  private static Answer error(LambdaError e) {
    ObjectNode n = JSON.createObjectNode();
    n.put("Type", e.kind().side);
    n.put("message", e.getMessage());
    n.put("__type", e.kind().type());
    e.reason().ifPresent(r -> n.put("Reason", r));
    Map<String, String> h = new LinkedHashMap<>();
    h.put("X-Amzn-ErrorType", e.kind().type());
    if (e.kind() == LambdaError.Kind.TOO_MANY_REQUESTS) {
      h.put("Retry-After", "1");
    }
    try {
      return new Answer(e.kind().status(), h, JSON.writeValueAsBytes(n));
    } catch (JsonProcessingException x) {
      throw new IllegalStateException(x);
    }
  }

  private static String decode(String s) {
    return java.net.URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  private static String firstLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse(s);
  }

  private static String hex(byte[] b) {
    return java.util.HexFormat.of().formatHex(b);
  }
}
