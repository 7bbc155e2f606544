package dev.blocklift.agent;

import dev.blocklift.core.BlockliftException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * A network namespace of a container's own, holding only a loopback interface that is up, and one
 * listening socket of the worker inside it. The container joins it by path ({@link #path()}), so
 * what it reaches on 127.0.0.1 is that listener and nothing of the host or of other containers.
 *
 * <p>Namespaces belong to threads: the namespace is made by unshare(2) on a platform thread of its
 * own, which opens the listener there (a socket stays in the namespace it was created in) and then
 * ends; no other thread of the worker ever changes namespace. The namespace lives as long as this
 * object's descriptor, the listener or a process inside it.
 */
final class NetNamespace implements AutoCloseable {
  private final int fd;
  private final ServerSocketChannel listener;
  private boolean closed;

  private NetNamespace(int fd, ServerSocketChannel listener) {
    this.fd = fd;
    this.listener = listener;
  }

  /** Makes a namespace with {@code address} (on its loopback) listening in it. */
  static NetNamespace withListener(InetSocketAddress address) throws IOException {
    CompletableFuture<NetNamespace> made = new CompletableFuture<>();
    Thread t =
        Thread.ofPlatform()
            .name("blocklift-netns")
            .daemon()
            .start(
                () -> {
                  try {
                    made.complete(makeOnThisThread(address));
                  } catch (IOException | RuntimeException e) {
                    made.completeExceptionally(e);
                  }
                });
    try {
      NetNamespace ns = made.get();
      t.join();
      return ns;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted making a network namespace", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IOException("making a network namespace: " + e.getCause().getMessage(), e);
    }
  }

  /** Runs on a throw-away platform thread: that thread ends in the new namespace. */
  private static NetNamespace makeOnThisThread(InetSocketAddress address) throws IOException {
    Libc.Result u = Libc.unshare(Libc.CLONE_NEWNET);
    if (u.failed()) {
      throw new BlockliftException(
          "cannot make a network namespace (unshare: errno "
              + u.errno()
              + (u.errno() == Libc.EPERM ? ", the worker needs root" : "")
              + ")");
    }
    Libc.Result lo = Libc.interfaceUp("lo");
    if (lo.failed()) {
      throw new IOException("cannot bring up lo in a new network namespace: errno " + lo.errno());
    }
    Libc.Result fd = Libc.open("/proc/thread-self/ns/net", Libc.O_RDONLY | Libc.O_CLOEXEC);
    if (fd.failed()) {
      throw new IOException("cannot open the new network namespace: errno " + fd.errno());
    }
    ServerSocketChannel ch = null;
    try {
      ch = ServerSocketChannel.open();
      ch.bind(address);
      return new NetNamespace((int) fd.value(), ch);
    } catch (IOException | RuntimeException e) {
      Libc.close((int) fd.value());
      if (ch != null) {
        ch.close();
      }
      throw e;
    }
  }

  /** A path a process (runc) opens to join the namespace while this object lives. */
  Path path() {
    return Path.of("/proc/" + ProcessHandle.current().pid() + "/fd/" + fd);
  }

  /** The listening socket inside the namespace (bound, not yet accepting). */
  ServerSocketChannel listener() {
    return listener;
  }

  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      listener.close();
    } finally {
      Libc.close(fd);
    }
  }
}
