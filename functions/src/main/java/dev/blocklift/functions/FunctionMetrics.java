package dev.blocklift.functions;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToIntFunction;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Per-function counters and latency histograms, in Prometheus text: invokes, cold starts, errors,
 * throttles, timeouts, expired leases, running invokes, and init and invoke durations (summaries
 * with p50/p90/p99 and the max, over the function's life).
 */
final class FunctionMetrics {
  private static final long MAX_MICROS = Duration.ofMinutes(20).toNanos() / 1000;

  private static final class PerFunction {
    final LongAdder invokes = new LongAdder();
    final LongAdder coldStarts = new LongAdder();
    final LongAdder errors = new LongAdder();
    final LongAdder throttles = new LongAdder();
    final LongAdder timeouts = new LongAdder();
    final LongAdder expired = new LongAdder();
    final Recorder init = new Recorder(MAX_MICROS, 3);
    final Recorder duration = new Recorder(MAX_MICROS, 3);
    final Histogram initTotal = new Histogram(MAX_MICROS, 3);
    final Histogram durationTotal = new Histogram(MAX_MICROS, 3);
  }

  private final Map<FunctionName, PerFunction> functions = new ConcurrentSkipListMap<>();

  private PerFunction of(FunctionName f) {
    return functions.computeIfAbsent(f, k -> new PerFunction());
  }

  void invoked(FunctionName f, Duration d, boolean cold, boolean error) {
    PerFunction p = of(f);
    p.invokes.increment();
    if (cold) {
      p.coldStarts.increment();
    }
    if (error) {
      p.errors.increment();
    }
    p.duration.recordValue(clamp(d));
  }

  void init(FunctionName f, Duration d) {
    of(f).init.recordValue(clamp(d));
  }

  void throttled(FunctionName f) {
    of(f).throttles.increment();
  }

  void timedOut(FunctionName f) {
    of(f).timeouts.increment();
  }

  void expired(FunctionName f) {
    of(f).expired.increment();
  }

  private static long clamp(Duration d) {
    return Math.max(0, Math.min(MAX_MICROS, d.toNanos() / 1000));
  }

  String prometheus(ToIntFunction<FunctionName> running) {
    StringBuilder sb = new StringBuilder();
    counter(sb, "invocations_total", "invokes answered", p -> p.invokes.sum());
    counter(sb, "cold_starts_total", "invokes that started a sandbox", p -> p.coldStarts.sum());
    counter(sb, "errors_total", "invokes whose function failed", p -> p.errors.sum());
    counter(sb, "throttles_total", "invokes refused with 429", p -> p.throttles.sum());
    counter(sb, "timeouts_total", "invokes stopped by the function timeout", p -> p.timeouts.sum());
    counter(sb, "lease_expiries_total", "idle sandboxes torn down", p -> p.expired.sum());
    sb.append("# TYPE blocklift_function_concurrent_executions gauge\n");
    functions
        .keySet()
        .forEach(
            f ->
                sb.append("blocklift_function_concurrent_executions{function=\"")
                    .append(f)
                    .append("\"} ")
                    .append(running.applyAsInt(f))
                    .append('\n'));
    summary(sb, "init_duration_seconds", true);
    summary(sb, "duration_seconds", false);
    return sb.toString();
  }

  private void counter(
      StringBuilder sb,
      String name,
      String help,
      java.util.function.ToLongFunction<PerFunction> v) {
    sb.append("# HELP blocklift_function_").append(name).append(' ').append(help).append('\n');
    sb.append("# TYPE blocklift_function_").append(name).append(" counter\n");
    functions.forEach(
        (f, p) ->
            sb.append("blocklift_function_")
                .append(name)
                .append("{function=\"")
                .append(f)
                .append("\"} ")
                .append(v.applyAsLong(p))
                .append('\n'));
  }

  private void summary(StringBuilder sb, String name, boolean init) {
    sb.append("# TYPE blocklift_function_").append(name).append(" summary\n");
    functions.forEach(
        (f, p) -> {
          Histogram h;
          synchronized (p) {
            Histogram total = init ? p.initTotal : p.durationTotal;
            total.add((init ? p.init : p.duration).getIntervalHistogram());
            h = total.copy();
          }
          for (double q : new double[] {0.5, 0.9, 0.99}) {
            sb.append("blocklift_function_")
                .append(name)
                .append("{function=\"")
                .append(f)
                .append("\",quantile=\"")
                .append(q)
                .append("\"} ")
                .append(h.getValueAtPercentile(q * 100) / 1e6)
                .append('\n');
          }
          sb.append("blocklift_function_")
              .append(name)
              .append("_count{function=\"")
              .append(f)
              .append("\"} ")
              .append(h.getTotalCount())
              .append('\n');
          sb.append("blocklift_function_")
              .append(name)
              .append("_max{function=\"")
              .append(f)
              .append("\"} ")
              .append(h.getMaxValue() / 1e6)
              .append('\n');
        });
  }
}
