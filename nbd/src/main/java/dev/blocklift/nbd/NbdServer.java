package dev.blocklift.nbd;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/*
 * Design: an NBD server (the protocol of the NBD project's doc/proto.md, written from that
 * document) for one export, on a unix socket or a TCP port.
 *
 *   - Handshake: fixed newstyle only (NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES); options
 *     EXPORT_NAME, GO, INFO (NBD_INFO_EXPORT, NBD_INFO_BLOCK_SIZE min 1 / preferred 4096 /
 *     max 32 MiB, NBD_INFO_NAME and _DESCRIPTION when asked), LIST, ABORT, STRUCTURED_REPLY,
 *     LIST_META_CONTEXT and SET_META_CONTEXT (base:allocation only); any other option gets
 *     NBD_REP_ERR_UNSUP. No TLS: the socket's permissions, or a loopback port, are the access
 *     control. The export is known as its image reference and as the default ("") export.
 *   - Transmission: READ, WRITE, WRITE_ZEROES, TRIM (a no-op hint), FLUSH, CACHE (warms the
 *     range's chunks), BLOCK_STATUS (base:allocation: a hole chunk of the manifest that the
 *     overlay has not written is HOLE|ZERO, all else data), DISC. Flags: HAS_FLAGS, SEND_FLUSH,
 *     SEND_FUA, SEND_WRITE_ZEROES, SEND_TRIM, SEND_CACHE, CAN_MULTI_CONN (all connections share
 *     one device, so a flush on one covers writes replied on any), READ_ONLY unless writable.
 *     With structured replies a read answers holes as OFFSET_HOLE chunks and data as
 *     OFFSET_DATA; errors are ERROR chunks with a message.
 *   - Errors: a chunk that cannot be had within the worker's fetch timeout fails that request
 *     with EIO; out-of-range requests get EINVAL (ENOSPC for writes, as the spec asks); writes on
 *     a read-only export EPERM; unknown commands or flags EINVAL.
 *   - Bounds: option data <= 64 KiB, at most 4096 options, a READ or WRITE <= 32 MiB, 64
 *     requests and 64 MiB of payload in flight per connection, the handshake done within a
 *     timeout, at most MAX_CONNECTIONS clients. A bad magic, an unknown client flag or an
 *     oversized length is protocol garbage: that connection is closed and nothing else.
 *   - Threads: one virtual thread accepts, one per connection reads requests, one per request
 *     serves it (so a cold chunk holds only its own request); replies are written whole under
 *     the connection's write lock.
 *
 * Writes never reach a chunk: a writable export's device is a CowDevice whose overlay takes
 * them (see NbdExport).
 */
/** An NBD server for one export on a unix socket or a TCP listener. */
public final class NbdServer implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(NbdServer.class.getName());

  /** Clients served at once; more are accepted and closed at once. */
  public static final int MAX_CONNECTIONS = 64;

  private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(30);

  private final NbdExport export;
  private final ServerSocketChannel listener;
  private final Optional<Path> socket;
  private final Optional<InetSocketAddress> tcp;
  private final Duration handshakeTimeout;
  private final NbdStats stats = new NbdStats();
  private final Set<SocketChannel> clients = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService timer;
  private final Thread acceptor;
  private volatile boolean closed;

  private NbdServer(
      NbdExport export,
      ServerSocketChannel listener,
      Optional<Path> socket,
      Optional<InetSocketAddress> tcp,
      Duration handshakeTimeout) {
    this.export = export;
    this.listener = listener;
    this.socket = socket;
    this.tcp = tcp;
    this.handshakeTimeout = handshakeTimeout;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("nbd-timer").factory());
    this.acceptor = Thread.ofVirtual().name("nbd-accept").unstarted(this::acceptLoop);
  }

  /**
   * Serves {@code export} on a new unix socket at {@code path} (which must not exist), mode 0660,
   * owned by the group of its directory.
   */
  public static NbdServer unix(NbdExport export, Path path) throws IOException {
    return unix(export, path, HANDSHAKE_TIMEOUT);
  }

  static NbdServer unix(NbdExport export, Path path, Duration handshakeTimeout) throws IOException {
    Path abs = path.toAbsolutePath();
    ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      ch.bind(UnixDomainSocketAddress.of(abs));
      Files.setPosixFilePermissions(abs, PosixFilePermissions.fromString("rw-rw----"));
      PosixFileAttributes dir =
          Files.readAttributes(
              abs.getParent(), PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      GroupPrincipal group = dir.group();
      try {
        Files.getFileAttributeView(abs, PosixFileAttributeView.class).setGroup(group);
      } catch (IOException e) {
        // Not a member of that group: the socket keeps the process's group.
        LOG.log(System.Logger.Level.DEBUG, "socket " + abs + " keeps its group: " + e);
      }
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
    NbdServer s = new NbdServer(export, ch, Optional.of(abs), Optional.empty(), handshakeTimeout);
    s.acceptor.start();
    return s;
  }

  /** Serves {@code export} on a TCP listener at {@code address} (port 0: any free port). */
  public static NbdServer tcp(NbdExport export, InetSocketAddress address) throws IOException {
    return tcp(export, address, HANDSHAKE_TIMEOUT);
  }

  static NbdServer tcp(NbdExport export, InetSocketAddress address, Duration handshakeTimeout)
      throws IOException {
    ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.INET);
    try {
      ch.setOption(java.net.StandardSocketOptions.SO_REUSEADDR, true);
      ch.bind(address);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
    InetSocketAddress bound = (InetSocketAddress) ch.getLocalAddress();
    NbdServer s = new NbdServer(export, ch, Optional.empty(), Optional.of(bound), handshakeTimeout);
    s.acceptor.start();
    return s;
  }

  public NbdExport export() {
    return export;
  }

  /** The unix socket, when serving on one. */
  public Optional<Path> socket() {
    return socket;
  }

  /** The bound TCP address, when serving on TCP. */
  public Optional<InetSocketAddress> address() {
    return tcp;
  }

  /** The export's NBD URI: {@code nbd+unix:///?socket=PATH} or {@code nbd://HOST:PORT}. */
  public String uri() {
    if (socket.isPresent()) {
      return "nbd+unix:///?socket=" + socket.get();
    }
    InetSocketAddress a = tcp.orElseThrow();
    String host = a.getAddress().getHostAddress();
    return "nbd://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
  }

  /** Clients connected now. */
  public int connections() {
    return stats.open.get();
  }

  NbdStats stats() {
    return stats;
  }

  private void acceptLoop() {
    while (!closed) {
      SocketChannel c;
      try {
        c = listener.accept();
      } catch (ClosedChannelException e) {
        return;
      } catch (IOException e) {
        if (closed) {
          return;
        }
        LOG.log(System.Logger.Level.WARNING, "NBD accept failed: " + e);
        sleepQuietly();
        continue;
      }
      if (clients.size() >= MAX_CONNECTIONS || closed) {
        stats.refused.increment();
        closeQuietly(c);
        continue;
      }
      clients.add(c);
      stats.connections.increment();
      stats.open.incrementAndGet();
      Thread.ofVirtual().name("nbd-connection").start(() -> serve(c));
    }
  }

  private void serve(SocketChannel c) {
    ScheduledFuture<?> deadline =
        timer.schedule(
            () -> {
              LOG.log(System.Logger.Level.INFO, "NBD handshake not done in time: closing");
              closeQuietly(c);
            },
            handshakeTimeout.toMillis(),
            TimeUnit.MILLISECONDS);
    try {
      if (tcp.isPresent()) {
        c.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
      }
      new NbdConnection(export, new Wire(c), stats, () -> deadline.cancel(false)).serve();
    } catch (IOException e) {
      LOG.log(System.Logger.Level.DEBUG, "NBD connection: " + e);
    } finally {
      deadline.cancel(false);
      closeQuietly(c);
      clients.remove(c);
      stats.open.decrementAndGet();
    }
  }

  private static void sleepQuietly() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void closeQuietly(SocketChannel c) {
    try {
      c.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  /** Stops listening, drops every client, removes the socket; the export is the caller's. */
  @Override
  public void close() throws IOException {
    closed = true;
    try {
      listener.close();
      for (SocketChannel c : clients) {
        closeQuietly(c);
      }
      try {
        acceptor.join(Duration.ofSeconds(5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    } finally {
      timer.shutdownNow();
      if (socket.isPresent()) {
        Files.deleteIfExists(socket.get());
      }
    }
  }
}
