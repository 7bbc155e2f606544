package dev.blocklift.agent;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * One container the worker runs ({@link WorkerContainers#start}): {@code runc run} as the worker's
 * child, so its exit code and output come straight back. {@link #close()} kills it (if it still
 * runs), deletes it and undoes its mounts and namespace; it is idempotent.
 */
public final class Container implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(Container.class.getName());
  private static final int MAX_LINE = 8 * 1024;
  private static final long KILL_WAIT_SECONDS = 10;

  private final WorkerContainers owner;
  private final WorkerContainers.Prepared prepared;
  private final NetNamespace ns;
  private final Consumer<String> output;
  private final CompletableFuture<Integer> exited = new CompletableFuture<>();
  private Process runc;
  private boolean closed;

  Container(
      WorkerContainers owner,
      WorkerContainers.Prepared prepared,
      NetNamespace ns,
      Consumer<String> output) {
    this.owner = owner;
    this.prepared = prepared;
    this.ns = ns;
    this.output = output;
  }

  /** The container's id (runc's name for it). */
  public String id() {
    return prepared.id();
  }

  /** The worker's listener inside the container's network namespace, when the spec asked one. */
  public Optional<ServerSocketChannel> listener() {
    return Optional.ofNullable(ns).map(NetNamespace::listener);
  }

  /** Completes with the exit code once the container's process has exited. */
  public CompletableFuture<Integer> exited() {
    return exited;
  }

  /**
   * The most memory the container's cgroup has used (cgroup v2 memory.peak or v1
   * memory.max_usage_in_bytes), if the machine accounts it.
   */
  public OptionalLong memoryPeak() {
    String cg = "blocklift/" + id();
    for (Path p :
        List.of(
            Path.of("/sys/fs/cgroup", cg, "memory.peak"),
            Path.of("/sys/fs/cgroup/memory", cg, "memory.max_usage_in_bytes"))) {
      try {
        return OptionalLong.of(Long.parseLong(Files.readString(p).strip()));
      } catch (IOException | NumberFormatException e) {
        // not this hierarchy
      }
    }
    return OptionalLong.empty();
  }

  void launch() throws IOException {
    ProcessBuilder pb =
        new ProcessBuilder("runc", "run", "--bundle", prepared.bundle().toString(), prepared.id())
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    runc = pb.start();
    out = pump(runc.getInputStream(), "stdout");
    err = pump(runc.getErrorStream(), "stderr");
    var unused = runc.onExit().thenAccept(p -> exited.complete(p.exitValue()));
  }

  /**
   * Lines of one of the container's pipes. A pump reads only what is available, under its lock, so
   * {@link #drainOutput()} can deliver everything written so far: no byte is ever read but not yet
   * delivered outside the lock. It polls (1 to 20 ms apart) while the pipe is quiet.
   */
  private final class Pump {
    private final InputStream in;
    private final byte[] line = new byte[MAX_LINE];
    private int n;
    private boolean eof;

    Pump(InputStream in) {
      this.in = in;
    }

    /** Delivers every complete line available now; false at end of stream. */
    synchronized boolean drain() throws IOException {
      if (eof) {
        return false;
      }
      int avail;
      while ((avail = in.available()) > 0) {
        for (int i = 0; i < avail; i++) {
          int b = in.read();
          if (b < 0) {
            return end();
          }
          accept(b);
        }
      }
      if (runc != null && !runc.isAlive() && in.available() == 0) {
        // The container is gone and its pipe empty: the next read ends the stream at once.
        int b = in.read();
        if (b < 0) {
          return end();
        }
        accept(b);
      }
      return true;
    }

    private void accept(int b) {
      if (b == '\n' || n == MAX_LINE) {
        output.accept(new String(line, 0, n, StandardCharsets.UTF_8));
        n = 0;
        if (b == '\n') {
          return;
        }
      }
      line[n++] = (byte) b;
    }

    private boolean end() {
      eof = true;
      if (n > 0) {
        output.accept(new String(line, 0, n, StandardCharsets.UTF_8));
        n = 0;
      }
      return false;
    }

    void run() {
      long waitMs = 1;
      try (in) {
        while (true) {
          int before = n;
          if (!drain()) {
            return;
          }
          boolean quiet = in.available() == 0 && n == before;
          waitMs = quiet ? Math.min(20, waitMs * 2) : 1;
          Thread.sleep(waitMs);
        }
      } catch (IOException e) {
        // the pipe closed with the container
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private volatile Pump out;
  private volatile Pump err;

  private Pump pump(InputStream in, String name) {
    Pump p = new Pump(in);
    Thread.ofVirtual().name("container-" + name + "-" + id()).start(p::run);
    return p;
  }

  /**
   * Delivers every line the container has written to its pipes so far (a result posted to the
   * worker comes after the lines the runtime wrote before it).
   */
  public void drainOutput() {
    for (Pump p : new Pump[] {out, err}) {
      if (p != null) {
        try {
          p.drain();
        } catch (IOException e) {
          // closed: nothing more to deliver
        }
      }
    }
  }

  /** Sends SIGKILL to the container's processes (it then exits; {@link #close()} cleans up). */
  public void kill() {
    try {
      Commands.run(List.of("runc", "kill", "--all", id(), "KILL"));
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "runc kill " + id() + ": " + e.getMessage());
    }
  }

  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (runc != null && runc.isAlive()) {
        kill();
        try {
          exited.get(KILL_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
          runc.destroyForcibly();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
          // exited abnormally: it is gone either way
        }
      }
      Commands.run(List.of("runc", "delete", "--force", id()));
      owner.discard(prepared.live());
    } finally {
      owner.closed(this);
      if (ns != null) {
        ns.close();
      }
    }
  }
}
