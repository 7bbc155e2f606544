package dev.blocklift.functions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ByteSize;
import dev.blocklift.core.ImageName;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.UnaryOperator;

/**
 * The functions a worker knows, one JSON file each in a 0700 directory of the worker's home ({@code
 * HOME/functions/NAME.json}, 0600, written atomically), so that they survive restarts. Reads come
 * from memory; every change is written before it is visible.
 */
final class FunctionRegistry {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final System.Logger LOG = System.getLogger(FunctionRegistry.class.getName());

  private final Path dir;
  private final Clock clock;
  private final Map<FunctionName, FunctionConfig> functions = new ConcurrentSkipListMap<>();

  private FunctionRegistry(Path dir, Clock clock) {
    this.dir = dir;
    this.clock = clock;
  }

  /** Opens (creating) the registry in {@code dir}; a file that does not parse is reported, kept. */
  static FunctionRegistry open(Path dir, Clock clock) throws IOException {
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    FunctionRegistry r = new FunctionRegistry(dir, clock);
    try (var files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
        try {
          FunctionConfig c = parse(JSON.readTree(f.toFile()));
          r.functions.put(c.name(), c);
        } catch (IOException | RuntimeException e) {
          LOG.log(
              System.Logger.Level.WARNING,
              "function file " + f + " does not parse and is ignored: " + e.getMessage());
        }
      }
    }
    return r;
  }

  Optional<FunctionConfig> get(FunctionName name) {
    return Optional.ofNullable(functions.get(name));
  }

  List<FunctionConfig> list() {
    return new ArrayList<>(functions.values());
  }

  /** Adds a new function; refuses a name in use (ResourceConflictException). */
  synchronized FunctionConfig create(FunctionConfig config) throws IOException {
    if (functions.containsKey(config.name())) {
      throw new LambdaError(
          LambdaError.Kind.RESOURCE_CONFLICT, "Function already exist: " + config.name());
    }
    FunctionConfig c =
        new FunctionConfig(
            config.name(),
            config.image(),
            config.memory(),
            config.timeout(),
            config.env(),
            config.handler(),
            config.reservedConcurrency(),
            1,
            clock.instant());
    write(c);
    functions.put(c.name(), c);
    return c;
  }

  /** Applies {@code change} to the function as a new revision. */
  synchronized FunctionConfig update(FunctionName name, UnaryOperator<FunctionConfig> change)
      throws IOException {
    FunctionConfig old = get(name).orElseThrow(() -> LambdaError.notFound(name));
    FunctionConfig c = change.apply(old).nextRevision(clock.instant());
    write(c);
    functions.put(name, c);
    return c;
  }

  synchronized void delete(FunctionName name) throws IOException {
    if (functions.remove(name) == null) {
      throw LambdaError.notFound(name);
    }
    Files.deleteIfExists(dir.resolve(name + ".json"));
  }

  private void write(FunctionConfig c) throws IOException {
    Path target = dir.resolve(c.name() + ".json");
    Path tmp = Files.createTempFile(dir, ".tmp-", ".json");
    try {
      Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(toJson(c)));
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  static ObjectNode toJson(FunctionConfig c) {
    ObjectNode n = JSON.createObjectNode();
    n.put("name", c.name().value());
    n.put("image", c.image().toString());
    n.put("memoryBytes", c.memory().bytes());
    n.put("timeoutMillis", c.timeout().toMillis());
    ObjectNode env = n.putObject("env");
    c.env().forEach(env::put);
    c.handler().ifPresent(h -> n.put("handler", h));
    c.reservedConcurrency().ifPresent(r -> n.put("reservedConcurrency", r));
    n.put("revision", c.revision());
    n.put("lastModified", c.lastModified().toString());
    return n;
  }

  static FunctionConfig parse(JsonNode n) {
    Map<String, String> env = new TreeMap<>();
    n.path("env").properties().forEach(e -> env.put(e.getKey(), e.getValue().asText()));
    if (!n.hasNonNull("name") || !n.hasNonNull("image")) {
      throw new BlockliftException("a function record needs a name and an image");
    }
    return new FunctionConfig(
        FunctionName.of(n.get("name").asText()),
        ImageName.parse(n.get("image").asText()),
        ByteSize.ofBytes(n.path("memoryBytes").asLong()),
        Duration.ofMillis(n.path("timeoutMillis").asLong()),
        new TreeMap<>(env),
        n.hasNonNull("handler") ? Optional.of(n.get("handler").asText()) : Optional.empty(),
        n.hasNonNull("reservedConcurrency")
            ? OptionalInt.of(n.get("reservedConcurrency").asInt())
            : OptionalInt.empty(),
        n.path("revision").asLong(),
        Instant.parse(n.path("lastModified").asText()));
  }
}
