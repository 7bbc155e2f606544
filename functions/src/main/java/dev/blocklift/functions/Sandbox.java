package dev.blocklift.functions;

import dev.blocklift.agent.Container;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/*
 * Design: one sandbox = one container running one function revision, and the state its Runtime
 * API needs. The runtime inside drives it with long-polls:
 *
 *   INIT --first /next--> IDLE --assign--> BUSY --/response or /error--> IDLE ...
 *     \--/init/error, exit, init timeout--> DEAD      BUSY --timeout, exit--> DEAD
 *
 * An invoke is assigned by the pool (one at a time: assign() refuses unless IDLE) into the handoff
 * slot, which the runtime's pending /next takes. A result is accepted only for the request id
 * handed out, so a runtime cannot answer an invoke that is not its own, and events only ever come
 * from this sandbox's own slot: the Runtime API finds the sandbox by the listener the request came
 * in on, inside the container's own network namespace, never by anything the request says.
 */
/** A function sandbox: its container, its Runtime API state and its lease. */
final class Sandbox {
  enum State {
    INIT,
    IDLE,
    BUSY,
    DEAD
  }

  final String id;
  final FunctionConfig config;
  final Instant created;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final CompletableFuture<Instant> initialized = new CompletableFuture<>();
  private State state = State.INIT;
  private Invocation current;
  private boolean delivered;
  private Instant idleSince;
  private Container container;
  private volatile String deathCause = "";
  private Invocation logTarget;
  private final StringBuilder initLog = new StringBuilder();

  Sandbox(String id, FunctionConfig config, Instant created) {
    this.id = id;
    this.config = config;
    this.created = created;
    this.idleSince = created;
  }

  void attach(Container c) {
    lock.lock();
    try {
      this.container = c;
    } finally {
      lock.unlock();
    }
  }

  Optional<Container> container() {
    lock.lock();
    try {
      return Optional.ofNullable(container);
    } finally {
      lock.unlock();
    }
  }

  /** Completes with the time of the runtime's first {@code /next} (the end of init). */
  CompletableFuture<Instant> initialized() {
    return initialized;
  }

  State state() {
    lock.lock();
    try {
      return state;
    } finally {
      lock.unlock();
    }
  }

  Instant idleSince() {
    lock.lock();
    try {
      return idleSince;
    } finally {
      lock.unlock();
    }
  }

  String deathCause() {
    return deathCause;
  }

  /** The current invocation, if one is assigned. */
  Optional<Invocation> current() {
    lock.lock();
    try {
      return Optional.ofNullable(current);
    } finally {
      lock.unlock();
    }
  }

  /**
   * The runtime's {@code /next}: ends init the first time, then waits (up to {@code maxWait}) for
   * an assigned invocation. Empty when the sandbox died or nothing came.
   */
  Optional<Invocation> next(Instant now, Duration maxWait) throws InterruptedException {
    lock.lock();
    try {
      if (state == State.INIT) {
        state = State.IDLE;
        idleSince = now;
        initialized.complete(now);
      } else if (state == State.BUSY && delivered) {
        // The runtime asks for the next event without answering this one: Lambda treats it as
        // an empty response... we refuse it as the runtime's error instead.
        finishLocked(
            Invocation.Result.error(
                "Runtime.InvalidStateTransition",
                "RequestId: "
                    + current.requestId
                    + " Error: the runtime asked for the next event without a response"));
      }
      long nanos = maxWait.toNanos();
      while (state != State.DEAD && (current == null || delivered)) {
        if (nanos <= 0) {
          return Optional.empty();
        }
        nanos = changed.awaitNanos(nanos);
      }
      if (state == State.DEAD) {
        return Optional.empty();
      }
      delivered = true;
      return Optional.of(current);
    } finally {
      lock.unlock();
    }
  }

  /**
   * A line the container wrote: the log of the invocation it is serving (or served last, for lines
   * that trail its response), or before the first one, the init log that invocation then starts
   * with (64 KiB at most).
   */
  void log(String line) {
    lock.lock();
    try {
      if (logTarget != null) {
        logTarget.log(line);
      } else if (initLog.length() < 64 * 1024) {
        initLog.append(line).append('\n');
      }
    } finally {
      lock.unlock();
    }
  }

  /** Hands {@code inv} to this sandbox; false unless it is idle. */
  boolean assign(Invocation inv) {
    lock.lock();
    try {
      if (state != State.IDLE) {
        return false;
      }
      if (logTarget == null && !initLog.isEmpty()) {
        initLog.toString().lines().forEach(inv::log);
        initLog.setLength(0);
      }
      logTarget = inv;
      state = State.BUSY;
      current = inv;
      delivered = false;
      changed.signalAll();
      return true;
    } finally {
      lock.unlock();
    }
  }

  /**
   * The runtime's {@code /response} or {@code /error} for {@code requestId}: false if that is not
   * the invocation it was handed (Lambda's InvalidRequestID).
   */
  boolean respond(String requestId, Invocation.Result result) {
    lock.lock();
    try {
      if (state != State.BUSY
          || current == null
          || !delivered
          || !current.requestId.equals(requestId)) {
        return false;
      }
      finishLocked(result);
      return true;
    } finally {
      lock.unlock();
    }
  }

  private void finishLocked(Invocation.Result result) {
    Invocation inv = current;
    current = null;
    delivered = false;
    state = State.IDLE;
    changed.signalAll();
    inv.result.complete(result);
  }

  /** Back to the pool after an invoke (stamps the idle lease's start). */
  void released(Instant now) {
    lock.lock();
    try {
      if (state == State.IDLE) {
        idleSince = now;
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Marks the sandbox dead (init error, exit, timeout, teardown); the current invocation, if any,
   * gets {@code result}, and init waiters get {@code cause}.
   */
  void die(String cause, Invocation.Result resultForCurrent) {
    lock.lock();
    try {
      if (state == State.DEAD) {
        return;
      }
      deathCause = cause;
      state = State.DEAD;
      if (logTarget == null && !initLog.isEmpty() && current != null) {
        initLog.toString().lines().forEach(current::log);
      }
      initialized.completeExceptionally(new SandboxDied(cause, resultForCurrent));
      if (current != null) {
        Invocation inv = current;
        current = null;
        inv.result.complete(resultForCurrent);
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** What the container wrote before its first invocation (an init failure's evidence). */
  String initLog() {
    lock.lock();
    try {
      return initLog.toString();
    } finally {
      lock.unlock();
    }
  }

  /** Waits (bounded) for init; the invoke that created the sandbox uses it. */
  Instant awaitInit(Duration max) throws InterruptedException, SandboxDied {
    try {
      return initialized.get(max.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof SandboxDied d) {
        throw d;
      }
      throw new SandboxDied(
          "init failed: " + e.getCause(),
          Invocation.Result.error("Runtime.Unknown", String.valueOf(e.getCause())));
    } catch (java.util.concurrent.TimeoutException e) {
      throw new SandboxDied(
          "init timed out",
          Invocation.Result.error(
              "Runtime.InitTimeout",
              "the runtime did not ask for an event (GET /2018-06-01/runtime/invocation/next)"
                  + " within "
                  + max.toMillis() / 1000.0
                  + " s of the sandbox's start"));
    }
  }

  /** Init ended without a runtime: what the waiting invoke answers. */
  static final class SandboxDied extends Exception {
    private static final long serialVersionUID = 1L;
    final transient Invocation.Result result;

    /** What the container wrote during init (set once its pipes are drained). */
    transient String initLog = "";

    SandboxDied(String message, Invocation.Result result) {
      super(message);
      this.result = result;
    }
  }
}
