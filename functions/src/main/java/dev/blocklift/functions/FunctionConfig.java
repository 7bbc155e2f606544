package dev.blocklift.functions;

import dev.blocklift.core.ByteSize;
import dev.blocklift.core.ImageName;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A function: the image its sandboxes run and how (Lambda's function configuration). Each update
 * makes a new revision; sandboxes of an older revision take no new invokes and drain.
 *
 * @param memory the sandbox's memory limit (Lambda's MemorySize: 128 MiB to 10240 MiB)
 * @param timeout how long one invoke may run (1 s to 900 s)
 * @param handler the image's command replaced by this one word (Lambda's ImageConfig.Command, and
 *     {@code _HANDLER}); empty keeps the image's cmd
 * @param reservedConcurrency at most this many invokes at once; empty means the worker's limits
 * @param revision 1 on create, one more on each update
 */
public record FunctionConfig(
    FunctionName name,
    ImageName image,
    ByteSize memory,
    Duration timeout,
    SortedMap<String, String> env,
    Optional<String> handler,
    OptionalInt reservedConcurrency,
    long revision,
    Instant lastModified) {
  public static final ByteSize MIN_MEMORY = ByteSize.ofMiB(128);
  public static final ByteSize MAX_MEMORY = ByteSize.ofMiB(10240);
  public static final ByteSize DEFAULT_MEMORY = ByteSize.ofMiB(128);
  public static final Duration MAX_TIMEOUT = Duration.ofMinutes(15);
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(3);

  /** Lambda reserves these names for the runtime; a function may not set them. */
  static final List<String> RESERVED_ENV =
      List.of(
          "_HANDLER",
          "_X_AMZN_TRACE_ID",
          "AWS_REGION",
          "AWS_EXECUTION_ENV",
          "AWS_LAMBDA_FUNCTION_NAME",
          "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
          "AWS_LAMBDA_FUNCTION_VERSION",
          "AWS_LAMBDA_INITIALIZATION_TYPE",
          "AWS_LAMBDA_LOG_GROUP_NAME",
          "AWS_LAMBDA_LOG_STREAM_NAME",
          "AWS_LAMBDA_RUNTIME_API",
          "LAMBDA_RUNTIME_DIR",
          "LAMBDA_TASK_ROOT");

  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]*");

  public FunctionConfig {
    if (memory.compareTo(MIN_MEMORY) < 0 || memory.compareTo(MAX_MEMORY) > 0) {
      throw new IllegalArgumentException(
          "memory must be 128 MiB to 10240 MiB (Lambda's MemorySize), got " + memory);
    }
    if (memory.bytes() % (1 << 20) != 0) {
      throw new IllegalArgumentException("memory must be whole MiB, got " + memory);
    }
    if (timeout.compareTo(Duration.ofSeconds(1)) < 0 || timeout.compareTo(MAX_TIMEOUT) > 0) {
      throw new IllegalArgumentException(
          "timeout must be 1s to 900s, got " + timeout.toMillis() + "ms");
    }
    env = new TreeMap<>(env);
    for (Map.Entry<String, String> e : env.entrySet()) {
      if (!ENV_NAME.matcher(e.getKey()).matches()) {
        throw new IllegalArgumentException(
            "environment variable names are letters, digits and '_', starting with a letter;"
                + " got \""
                + e.getKey()
                + "\"");
      }
      if (RESERVED_ENV.contains(e.getKey())) {
        throw new IllegalArgumentException(
            "environment variable " + e.getKey() + " is reserved for the runtime");
      }
      if (e.getValue() == null || e.getValue().indexOf('\0') >= 0) {
        throw new IllegalArgumentException("environment variable " + e.getKey() + " has a NUL");
      }
    }
    int envBytes =
        env.entrySet().stream().mapToInt(e -> e.getKey().length() + e.getValue().length()).sum();
    if (envBytes > 4096) {
      throw new IllegalArgumentException(
          "environment variables total " + envBytes + " bytes; Lambda's limit is 4096");
    }
    if (handler.isPresent() && (handler.get().isBlank() || handler.get().length() > 128)) {
      throw new IllegalArgumentException(
          "a handler is 1-128 characters, got \"" + handler.get() + "\"");
    }
    if (reservedConcurrency.isPresent() && reservedConcurrency.getAsInt() < 0) {
      throw new IllegalArgumentException(
          "concurrency must be 0 or more, got " + reservedConcurrency.getAsInt());
    }
    if (revision < 1) {
      throw new IllegalArgumentException("revision must be 1 or more, got " + revision);
    }
  }

  /** A new function with Lambda's defaults. */
  public static FunctionConfig create(FunctionName name, ImageName image, Instant now) {
    return new FunctionConfig(
        name,
        image,
        DEFAULT_MEMORY,
        DEFAULT_TIMEOUT,
        new TreeMap<>(),
        Optional.empty(),
        OptionalInt.empty(),
        1,
        now);
  }

  public FunctionConfig withImage(ImageName i) {
    return new FunctionConfig(
        name, i, memory, timeout, env, handler, reservedConcurrency, revision, lastModified);
  }

  public FunctionConfig withMemory(ByteSize m) {
    return new FunctionConfig(
        name, image, m, timeout, env, handler, reservedConcurrency, revision, lastModified);
  }

  public FunctionConfig withTimeout(Duration t) {
    return new FunctionConfig(
        name, image, memory, t, env, handler, reservedConcurrency, revision, lastModified);
  }

  public FunctionConfig withEnv(Map<String, String> e) {
    return new FunctionConfig(
        name,
        image,
        memory,
        timeout,
        new TreeMap<>(e),
        handler,
        reservedConcurrency,
        revision,
        lastModified);
  }

  public FunctionConfig withHandler(Optional<String> h) {
    return new FunctionConfig(
        name, image, memory, timeout, env, h, reservedConcurrency, revision, lastModified);
  }

  public FunctionConfig withReservedConcurrency(OptionalInt c) {
    return new FunctionConfig(
        name, image, memory, timeout, env, handler, c, revision, lastModified);
  }

  /** The next revision of this function, modified at {@code now}. */
  FunctionConfig nextRevision(Instant now) {
    return new FunctionConfig(
        name, image, memory, timeout, env, handler, reservedConcurrency, revision + 1, now);
  }

  /** The function timeout in whole seconds, as Lambda's API gives it. */
  public long timeoutSeconds() {
    return timeout.toSeconds();
  }

  public long memoryMiB() {
    return memory.bytes() >> 20;
  }
}
