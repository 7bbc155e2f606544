package dev.blocklift.functions;

import dev.blocklift.agent.Container;
import dev.blocklift.agent.ContainerRun;
import dev.blocklift.agent.WorkerContainers;
import dev.blocklift.core.ByteSize;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/*
 * Design: the assignment component of one worker. It tracks every sandbox, hands an invoke to a
 * warm idle sandbox of the function's current revision (the most recently used first: its pages
 * are the warmest), and otherwise creates one if the worker has room: a sandbox count and a sum of
 * memory limits, as Lambda packs by configured memory. Without room it retires the idle sandbox
 * unused longest (of any function) and tries again; with nothing idle it throttles.
 *
 * Each idle sandbox holds a time-based lease: `idle` after its last invoke it is torn down (the
 * image's chunks stay in the worker's tiers, so the next cold start fetches from memory or disk).
 * A sandbox of an older revision (an update) or of a deleted function takes no new invoke: idle
 * ones go at once, busy ones when their invoke ends. Teardown runs off the invoke's path; the
 * room a sandbox holds is given back only once its container and mounts are gone.
 */
/** Sandboxes of one worker: warm reuse, creation under capacity, idle leases. */
final class SandboxPool implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(SandboxPool.class.getName());
  static final InetSocketAddress RUNTIME_ADDRESS =
      new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 9001);

  /**
   * The pool's knobs.
   *
   * @param idle how long an idle sandbox stays warm
   * @param maxSandboxes at most this many sandboxes at once
   * @param memory the sum of the sandboxes' memory limits may not exceed this
   * @param initTimeout how long a new sandbox may take to ask for its first event
   * @param scratch each sandbox's writable space (Lambda's ephemeral storage)
   */
  record Options(
      Duration idle, int maxSandboxes, ByteSize memory, Duration initTimeout, ByteSize scratch) {
    Options {
      if (idle.isNegative() || idle.isZero()) {
        throw new IllegalArgumentException("idle must be positive, got " + idle);
      }
      if (maxSandboxes < 1) {
        throw new IllegalArgumentException("max sandboxes must be 1 or more, got " + maxSandboxes);
      }
    }
  }

  /** A sandbox assigned to one invoke; {@code initDuration} is present on a cold start. */
  record Lease(Sandbox sandbox, Optional<Duration> initDuration) {}

  /** Makes the environment a sandbox's runtime sees. */
  interface Environment {
    List<String> of(FunctionConfig config, String sandboxId);
  }

  private final WorkerContainers containers;
  private final RuntimeApi runtime;
  private final Clock clock;
  private final Options options;
  private final Environment environment;
  private final Function<FunctionName, Optional<FunctionConfig>> current;
  private final FunctionMetrics metrics;
  private final Map<FunctionName, Deque<Sandbox>> idle = new HashMap<>();
  private final Set<Sandbox> all = new LinkedHashSet<>();
  private final Set<Sandbox> retiring = new LinkedHashSet<>();
  private long memoryHeld;
  private int held;
  private boolean closed;
  private final ExecutorService teardowns = Executors.newVirtualThreadPerTaskExecutor();
  private final ScheduledExecutorService leases =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().daemon().name("blocklift-sandbox-leases").unstarted(r));
  private final ScheduledFuture<?> leaseCheck;

  SandboxPool(
      WorkerContainers containers,
      RuntimeApi runtime,
      Clock clock,
      Options options,
      Environment environment,
      Function<FunctionName, Optional<FunctionConfig>> current,
      FunctionMetrics metrics) {
    this.containers = containers;
    this.runtime = runtime;
    this.clock = clock;
    this.options = options;
    this.environment = environment;
    this.current = current;
    this.metrics = metrics;
    long period = Math.max(50, Math.min(1000, options.idle().toMillis() / 4));
    this.leaseCheck =
        leases.scheduleWithFixedDelay(this::expireLeases, period, period, TimeUnit.MILLISECONDS);
  }

  /**
   * A sandbox for one invoke of {@code fn}: a warm one, or a new one once its runtime asks for its
   * first event.
   *
   * @throws LambdaError TooManyRequestsException when the worker has no room
   * @throws Sandbox.SandboxDied when a new sandbox failed to start (its error is the invoke's)
   */
  Lease acquire(FunctionConfig fn) throws IOException, InterruptedException, Sandbox.SandboxDied {
    Sandbox sb;
    synchronized (this) {
      if (closed) {
        throw new LambdaError(LambdaError.Kind.SERVICE, "the worker is stopping");
      }
      Deque<Sandbox> warm = idle.get(fn.name());
      while (warm != null && !warm.isEmpty()) {
        Sandbox s = warm.pollFirst();
        if (s.config.revision() == fn.revision() && s.state() == Sandbox.State.IDLE) {
          return new Lease(s, Optional.empty());
        }
        retire(s, "revision " + s.config.revision() + " replaced by " + fn.revision());
      }
      long need = fn.memory().bytes();
      while (held >= options.maxSandboxes() || memoryHeld + need > options.memory().bytes()) {
        Optional<Sandbox> victim = longestIdle();
        if (victim.isEmpty()) {
          throw new LambdaError(
              LambdaError.Kind.TOO_MANY_REQUESTS,
              "Rate Exceeded: the worker has no room for another sandbox ("
                  + held
                  + " of "
                  + options.maxSandboxes()
                  + " sandboxes, "
                  + ByteSize.format(memoryHeld)
                  + " of "
                  + options.memory()
                  + " memory in use; "
                  + fn.name()
                  + " needs "
                  + fn.memory()
                  + ")",
              Optional.of("ConcurrentInvocationLimitExceeded"));
        }
        idle.get(victim.get().config.name()).remove(victim.get());
        retire(victim.get(), "room for " + fn.name());
      }
      held++;
      memoryHeld += need;
      sb = new Sandbox(sandboxId(), fn, clock.instant());
      all.add(sb);
    }
    return new Lease(sb, Optional.of(start(sb)));
  }

  private static String sandboxId() {
    return "sbx-"
        + Long.toUnsignedString(java.util.concurrent.ThreadLocalRandom.current().nextLong(), 36);
  }

  /** Starts a sandbox's container and waits for its runtime's first {@code /next}. */
  private Duration start(Sandbox sb) throws IOException, InterruptedException, Sandbox.SandboxDied {
    FunctionConfig fn = sb.config;
    Instant began = clock.instant();
    try {
      ContainerRun.Sandbox limits =
          new ContainerRun.Sandbox(
              options.scratch(),
              List.of(),
              Optional.of(fn.memory()),
              Optional.empty(),
              ContainerRun.Sandbox.Network.NONE);
      WorkerContainers.Spec spec =
          new WorkerContainers.Spec(
              fn.image(),
              limits,
              fn.handler().map(List::of).orElse(List.of()),
              environment.of(fn, sb.id),
              Optional.of(RUNTIME_ADDRESS));
      Container c = containers.start(spec, line -> sb.log(line));
      sb.attach(c);
      runtime.serve(sb, c.listener().orElseThrow());
      var unused = c.exited().thenAccept(code -> exited(sb, code));
    } catch (IOException | RuntimeException e) {
      sb.die("start failed: " + e.getMessage(), Invocation.Result.error("Runtime.Unknown", ""));
      synchronized (this) {
        retire(sb, "start failed");
      }
      throw e;
    }
    try {
      Instant ready = sb.awaitInit(options.initTimeout());
      Duration init = Duration.between(began, ready);
      metrics.init(fn.name(), init);
      return init;
    } catch (Sandbox.SandboxDied e) {
      sb.container().ifPresent(Container::drainOutput);
      e.initLog = sb.initLog();
      sb.die(e.getMessage(), e.result);
      synchronized (this) {
        retire(sb, e.getMessage());
      }
      throw e;
    }
  }

  private void exited(Sandbox sb, int code) {
    String requestId = sb.current().map(i -> i.requestId).orElse("");
    sb.die(
        "exited with status " + code,
        Invocation.Result.error(
            "Runtime.ExitError",
            "RequestId: " + requestId + " Error: Runtime exited with error: exit status " + code));
    synchronized (this) {
      Deque<Sandbox> d = idle.get(sb.config.name());
      if (d != null) {
        d.remove(sb);
      }
      retire(sb, "its runtime exited with status " + code);
    }
  }

  /** An invoke ended: the sandbox goes back to warm, or away if it cannot serve again. */
  void release(Lease lease) {
    Sandbox sb = lease.sandbox();
    synchronized (this) {
      Optional<FunctionConfig> now = current.apply(sb.config.name());
      boolean reusable =
          !closed
              && sb.state() == Sandbox.State.IDLE
              && now.isPresent()
              && now.get().revision() == sb.config.revision();
      if (!reusable) {
        retire(
            sb,
            sb.state() == Sandbox.State.DEAD
                ? sb.deathCause()
                : now.isEmpty() ? "function deleted" : "function updated");
        return;
      }
      sb.released(clock.instant());
      idle.computeIfAbsent(sb.config.name(), k -> new ArrayDeque<>()).addFirst(sb);
    }
  }

  /** The function changed or went: its idle sandboxes go now, busy ones when they finish. */
  synchronized void functionChanged(FunctionName name) {
    Deque<Sandbox> d = idle.remove(name);
    if (d != null) {
      for (Sandbox s : d) {
        retire(s, "function updated or deleted");
      }
    }
  }

  private Optional<Sandbox> longestIdle() {
    Sandbox best = null;
    for (Deque<Sandbox> d : idle.values()) {
      Sandbox s = d.peekLast();
      if (s != null && (best == null || s.idleSince().isBefore(best.idleSince()))) {
        best = s;
      }
    }
    return Optional.ofNullable(best);
  }

  private void expireLeases() {
    try {
      Instant now = clock.instant();
      synchronized (this) {
        for (Deque<Sandbox> d : idle.values()) {
          for (Sandbox s : new ArrayList<>(d)) {
            if (!s.idleSince().plus(options.idle()).isAfter(now)) {
              d.remove(s);
              retire(s, "idle lease of " + options.idle().toSeconds() + " s ended");
              metrics.expired(s.config.name());
            }
          }
        }
      }
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "checking sandbox leases: " + e.getMessage());
    }
  }

  /** Tears {@code sb} down off the caller's path; its room is free once it is gone. */
  private void retire(Sandbox sb, String why) {
    if (!all.contains(sb) || !retiring.add(sb)) {
      return;
    }
    sb.die(why, Invocation.Result.error("Sandbox.Stopped", "the sandbox stopped: " + why));
    LOG.log(
        System.Logger.Level.INFO, "sandbox " + sb.id + " of " + sb.config.name() + " goes: " + why);
    teardowns.execute(
        () -> {
          try {
            runtime.stop(sb);
            Optional<Container> c = sb.container();
            if (c.isPresent()) {
              c.get().close();
            }
          } catch (IOException | RuntimeException e) {
            LOG.log(
                System.Logger.Level.WARNING,
                "tearing down sandbox " + sb.id + ": " + e.getMessage());
          } finally {
            synchronized (SandboxPool.this) {
              all.remove(sb);
              retiring.remove(sb);
              held--;
              memoryHeld -= sb.config.memory().bytes();
              SandboxPool.this.notifyAll();
            }
          }
        });
  }

  /** Sandboxes by state, for metrics and the API. */
  synchronized Map<Sandbox.State, Integer> census() {
    Map<Sandbox.State, Integer> m = new java.util.EnumMap<>(Sandbox.State.class);
    for (Sandbox s : all) {
      m.merge(s.state(), 1, Integer::sum);
    }
    return m;
  }

  /** Tears every sandbox down and waits (bounded) for it. */
  @Override
  public void close() {
    leaseCheck.cancel(false);
    leases.shutdownNow();
    synchronized (this) {
      closed = true;
      idle.clear();
      for (Sandbox s : new ArrayList<>(all)) {
        retire(s, "the worker is stopping");
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!all.isEmpty() && System.nanoTime() < deadline) {
        try {
          wait(1000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      if (!all.isEmpty()) {
        LOG.log(System.Logger.Level.WARNING, all.size() + " sandbox(es) still going after 60 s");
      }
    }
    teardowns.shutdown();
  }
}
