package dev.blocklift.functions;

import dev.blocklift.agent.Container;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One synchronous invoke, start to end: the concurrency slot, a sandbox (warm or cold), the event
 * handed to its runtime, the result within the function's timeout, Lambda's START/END/REPORT log
 * lines, and the sandbox back to the pool (or away, after a timeout or a crash).
 */
final class Invoker {
  private static final System.Logger LOG = System.getLogger("blocklift.functions.report");
  private static final int TAIL_BYTES = 4096;

  private final FunctionRegistry registry;
  private final ConcurrencyCounter counter;
  private final SandboxPool pool;
  private final FunctionMetrics metrics;
  private final Clock clock;

  Invoker(
      FunctionRegistry registry,
      ConcurrencyCounter counter,
      SandboxPool pool,
      FunctionMetrics metrics,
      Clock clock) {
    this.registry = registry;
    this.counter = counter;
    this.pool = pool;
    this.metrics = metrics;
    this.clock = clock;
  }

  /**
   * What the Invoke API answers.
   *
   * @param logTail the base64 tail of the invoke's log, when asked for
   */
  record Outcome(Invocation.Result result, Optional<String> logTail, String requestId) {}

  Outcome invoke(FunctionName name, byte[] payload, Optional<String> clientContext, boolean tail)
      throws IOException, InterruptedException {
    FunctionConfig fn = registry.get(name).orElseThrow(() -> LambdaError.notFound(name));
    Optional<String> throttle = counter.tryAcquire(name, fn.reservedConcurrency());
    if (throttle.isPresent()) {
      metrics.throttled(name);
      throw new LambdaError(LambdaError.Kind.TOO_MANY_REQUESTS, "Rate Exceeded.", throttle);
    }
    try {
      return run(fn, payload, clientContext, tail);
    } catch (LambdaError e) {
      if (e.kind() == LambdaError.Kind.TOO_MANY_REQUESTS) {
        metrics.throttled(name);
      }
      throw e;
    } finally {
      counter.release(name);
    }
  }

  private Outcome run(
      FunctionConfig fn, byte[] payload, Optional<String> clientContext, boolean tail)
      throws IOException, InterruptedException {
    Invocation inv = new Invocation(payload, clientContext, traceId(clock.instant()));
    Instant began = clock.instant();
    SandboxPool.Lease lease;
    try {
      lease = pool.acquire(fn);
    } catch (Sandbox.SandboxDied e) {
      // Init failed: Lambda answers the invoke with the init error, as a function error.
      e.initLog.lines().forEach(inv::log);
      inv.log(
          "INIT_REPORT Init Duration: "
              + millis(Duration.between(began, clock.instant()))
              + " ms\tPhase: init\tStatus: error\tError Type: "
              + errorType(e.result));
      metrics.invoked(fn.name(), Duration.between(began, clock.instant()), true, true);
      return new Outcome(e.result, tail ? Optional.of(tail(inv)) : Optional.empty(), inv.requestId);
    }
    Sandbox sb = lease.sandbox();
    Instant start = clock.instant();
    inv.started = start;
    inv.deadlineEpochMillis = start.toEpochMilli() + fn.timeout().toMillis();
    inv.log("START RequestId: " + inv.requestId + " Version: $LATEST");
    Invocation.Result result;
    boolean timedOut = false;
    if (!sb.assign(inv)) {
      result = Invocation.Result.error("Sandbox.Stopped", "the sandbox stopped before the invoke");
    } else {
      try {
        result = inv.result.get(fn.timeout().toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        timedOut = true;
        metrics.timedOut(fn.name());
        String msg =
            "RequestId: "
                + inv.requestId
                + " Error: Task timed out after "
                + String.format(Locale.ROOT, "%.2f", fn.timeout().toMillis() / 1000.0)
                + " seconds";
        sb.die("its invoke timed out", Invocation.Result.error("Sandbox.Timedout", msg));
        sb.container().ifPresent(Container::kill);
        result = inv.result.getNow(Invocation.Result.error("Sandbox.Timedout", msg));
        inv.log(msg);
      } catch (ExecutionException e) {
        result = Invocation.Result.error("Runtime.Unknown", String.valueOf(e.getCause()));
      }
    }
    Duration took = Duration.between(start, clock.instant());
    sb.container().ifPresent(Container::drainOutput);
    inv.log("END RequestId: " + inv.requestId);
    String report = report(inv, fn, sb, took, lease.initDuration(), timedOut);
    inv.log(report);
    LOG.log(System.Logger.Level.INFO, fn.name() + ": " + report);
    metrics.invoked(
        fn.name(), took, lease.initDuration().isPresent(), result.functionError().isPresent());
    pool.release(lease);
    return new Outcome(result, tail ? Optional.of(tail(inv)) : Optional.empty(), inv.requestId);
  }

  /** Lambda's REPORT line. */
  private static String report(
      Invocation inv,
      FunctionConfig fn,
      Sandbox sb,
      Duration took,
      Optional<Duration> init,
      boolean timedOut) {
    double ms = took.toNanos() / 1e6;
    long billed = (long) Math.ceil(ms + init.map(d -> d.toNanos() / 1e6).orElse(0.0));
    StringBuilder r =
        new StringBuilder("REPORT RequestId: ")
            .append(inv.requestId)
            .append("\tDuration: ")
            .append(String.format(Locale.ROOT, "%.2f", ms))
            .append(" ms\tBilled Duration: ")
            .append(Math.max(1, billed))
            .append(" ms\tMemory Size: ")
            .append(fn.memoryMiB())
            .append(" MB\tMax Memory Used: ");
    r.append(
        sb.container()
            .flatMap(
                c ->
                    c.memoryPeak().isPresent()
                        ? Optional.of(c.memoryPeak().getAsLong())
                        : Optional.empty())
            .map(b -> Long.toString((b + (1 << 20) - 1) >> 20))
            .orElse("-"));
    r.append(" MB");
    init.ifPresent(d -> r.append("\tInit Duration: ").append(millis(d)).append(" ms"));
    if (timedOut) {
      r.append("\tStatus: timeout");
    }
    return r.toString();
  }

  private static String millis(Duration d) {
    return String.format(Locale.ROOT, "%.2f", d.toNanos() / 1e6);
  }

  private static String errorType(Invocation.Result r) {
    String s = new String(r.payload(), java.nio.charset.StandardCharsets.UTF_8);
    int i = s.indexOf("\"errorType\":\"");
    if (i < 0) {
      return "Runtime.Unknown";
    }
    int from = i + 13;
    int to = s.indexOf('"', from);
    return to < 0 ? "Runtime.Unknown" : s.substring(from, to);
  }

  /** The last 4 KB of the invoke's log, base64 (X-Amz-Log-Result). */
  private static String tail(Invocation inv) {
    byte[] all = inv.logText().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    int from = Math.max(0, all.length - TAIL_BYTES);
    return Base64.getEncoder().encodeToString(java.util.Arrays.copyOfRange(all, from, all.length));
  }

  /** An X-Ray style trace id: Root=1-{epoch seconds hex}-{96 random bits};Sampled=0. */
  static String traceId(Instant now) {
    byte[] r = new byte[12];
    ThreadLocalRandom.current().nextBytes(r);
    return "Root=1-"
        + Long.toHexString(now.getEpochSecond())
        + "-"
        + HexFormat.of().formatHex(r)
        + ";Parent="
        + HexFormat.of().formatHex(r, 0, 8)
        + ";Sampled=0";
  }
}
