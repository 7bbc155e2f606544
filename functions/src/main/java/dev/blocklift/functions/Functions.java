package dev.blocklift.functions;

import dev.blocklift.agent.WorkerApi;
import dev.blocklift.core.ByteSize;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * Functions on a worker: the registry of functions, the counting service, the sandbox pool, the
 * Runtime API and the invoker, wired together. {@link #api} makes the worker API that serves them
 * ({@code blocklift worker} adds it).
 */
public final class Functions implements AutoCloseable {
  private static final Pattern REGION = Pattern.compile("[a-z]{2}(-[a-z]+)+-[0-9]");
  private static final Pattern ACCOUNT = Pattern.compile("[0-9]{12}");

  /**
   * The worker's function settings.
   *
   * @param home where function definitions live ({@code HOME/functions})
   * @param idle how long an idle sandbox stays warm (its lease)
   * @param maxSandboxes sandboxes at once on this worker
   * @param sandboxMemory the sum of the sandboxes' memory limits this worker allows
   * @param accountConcurrency invokes at once over all functions
   * @param initTimeout how long a new sandbox's runtime may take to ask for its first event
   * @param scratch each sandbox's writable space
   * @param region the region functions report (AWS_REGION, ARNs)
   * @param account the account id in ARNs
   */
  public record Options(
      Path home,
      Duration idle,
      int maxSandboxes,
      ByteSize sandboxMemory,
      int accountConcurrency,
      Duration initTimeout,
      ByteSize scratch,
      String region,
      String account) {
    public static final Duration DEFAULT_IDLE = Duration.ofMinutes(5);
    public static final int DEFAULT_MAX_SANDBOXES = 64;
    public static final int DEFAULT_ACCOUNT_CONCURRENCY = 1000;
    public static final Duration DEFAULT_INIT_TIMEOUT = Duration.ofSeconds(10);
    public static final String DEFAULT_REGION = "us-east-1";
    public static final String DEFAULT_ACCOUNT = "000000000000";

    public Options {
      if (!REGION.matcher(region).matches()) {
        throw new IllegalArgumentException("not a region like us-east-1: \"" + region + "\"");
      }
      if (!ACCOUNT.matcher(account).matches()) {
        throw new IllegalArgumentException("an account id is 12 digits, got \"" + account + "\"");
      }
      if (initTimeout.isNegative() || initTimeout.isZero()) {
        throw new IllegalArgumentException("init timeout must be positive, got " + initTimeout);
      }
    }

    /** The defaults, with functions kept in {@code home}. */
    public static Options defaults(Path home) {
      return new Options(
          home,
          DEFAULT_IDLE,
          DEFAULT_MAX_SANDBOXES,
          ByteSize.ofBytes(physicalMemory()),
          DEFAULT_ACCOUNT_CONCURRENCY,
          DEFAULT_INIT_TIMEOUT,
          ByteSize.ofMiB(512),
          DEFAULT_REGION,
          DEFAULT_ACCOUNT);
    }

    private static long physicalMemory() {
      if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
          instanceof com.sun.management.OperatingSystemMXBean os) {
        return os.getTotalMemorySize();
      }
      return 4L << 30;
    }
  }

  private final Options options;
  private final FunctionRegistry registry;
  private final LocalConcurrency counter;
  private final FunctionMetrics metrics = new FunctionMetrics();
  private final RuntimeApi runtime;
  private final SandboxPool pool;
  private final Invoker invoker;
  private final dev.blocklift.agent.WorkerContainers containers;

  private Functions(Options options, WorkerApi.Context context, Clock clock) throws IOException {
    this.options = options;
    this.containers = context.containers();
    this.registry = FunctionRegistry.open(options.home(), clock);
    this.counter = new LocalConcurrency(options.accountConcurrency());
    this.runtime = new RuntimeApi(clock, this::arn);
    this.pool =
        new SandboxPool(
            context.containers(),
            runtime,
            clock,
            new SandboxPool.Options(
                options.idle(),
                options.maxSandboxes(),
                options.sandboxMemory(),
                options.initTimeout(),
                options.scratch()),
            this::environment,
            registry::get,
            metrics);
    this.invoker = new Invoker(registry, counter, pool, metrics, clock);
  }

  /** The worker API serving functions with {@code options}. */
  public static WorkerApi.Factory api(Options options) {
    return api(options, Clock.systemUTC());
  }

  static WorkerApi.Factory api(Options options, Clock clock) {
    return context ->
        new FunctionsApi(new Functions(options, context, clock), context.token(), clock);
  }

  String arn(FunctionName name) {
    return "arn:aws:lambda:" + options.region() + ":" + options.account() + ":function:" + name;
  }

  String account() {
    return options.account();
  }

  long scratchMiB() {
    return options.scratch().bytes() >> 20;
  }

  /** Lambda's standard environment for a sandbox of {@code fn}, then the function's own. */
  private List<String> environment(FunctionConfig fn, String sandboxId) {
    List<String> env = new ArrayList<>();
    env.add("AWS_LAMBDA_FUNCTION_NAME=" + fn.name());
    env.add("AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + fn.memoryMiB());
    env.add("AWS_LAMBDA_FUNCTION_VERSION=$LATEST");
    env.add("AWS_LAMBDA_RUNTIME_API=127.0.0.1:" + SandboxPool.RUNTIME_ADDRESS.getPort());
    env.add("AWS_LAMBDA_INITIALIZATION_TYPE=on-demand");
    env.add("AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + fn.name());
    env.add("AWS_LAMBDA_LOG_STREAM_NAME=[$LATEST]" + sandboxId);
    env.add("AWS_REGION=" + options.region());
    env.add("AWS_DEFAULT_REGION=" + options.region());
    env.add("LAMBDA_TASK_ROOT=/var/task");
    env.add("LAMBDA_RUNTIME_DIR=/var/runtime");
    env.add("TZ=:UTC");
    fn.handler().ifPresent(h -> env.add("_HANDLER=" + h));
    fn.env().forEach((k, v) -> env.add(k + "=" + v));
    return env;
  }

  FunctionConfig get(FunctionName name) {
    return registry.get(name).orElseThrow(() -> LambdaError.notFound(name));
  }

  List<FunctionConfig> list() {
    return registry.list();
  }

  FunctionConfig create(FunctionConfig c) throws IOException {
    checkImage(c.image());
    return registry.create(c);
  }

  FunctionConfig update(FunctionName name, UnaryOperator<FunctionConfig> change)
      throws IOException {
    FunctionConfig c =
        registry.update(
            name,
            old -> {
              FunctionConfig next = change.apply(old);
              if (!next.image().equals(old.image())) {
                checkImage(next.image());
              }
              return next;
            });
    pool.functionChanged(name);
    return c;
  }

  void delete(FunctionName name) throws IOException {
    registry.delete(name);
    pool.functionChanged(name);
  }

  /** A function's image must exist and open for this worker's tenant. */
  private void checkImage(dev.blocklift.core.ImageName image) {
    try {
      containers.checkImage(image);
    } catch (IOException | RuntimeException e) {
      throw LambdaError.invalid(
          "image " + image + " cannot be used: " + String.valueOf(e.getMessage()));
    }
  }

  Invoker.Outcome invoke(
      FunctionName name, byte[] payload, Optional<String> clientContext, boolean tail)
      throws IOException, InterruptedException {
    return invoker.invoke(name, payload, clientContext, tail);
  }

  String prometheus() {
    var census = pool.census();
    StringBuilder sb = new StringBuilder("# TYPE blocklift_sandboxes gauge\n");
    for (Sandbox.State s : Sandbox.State.values()) {
      sb.append("blocklift_sandboxes{state=\"")
          .append(s.name().toLowerCase(java.util.Locale.ROOT))
          .append("\"} ")
          .append(census.getOrDefault(s, 0))
          .append('\n');
    }
    return sb + metrics.prometheus(counter::running);
  }

  /** Tears down every sandbox, then the Runtime API. */
  @Override
  public void close() {
    pool.close();
    runtime.close();
  }
}
