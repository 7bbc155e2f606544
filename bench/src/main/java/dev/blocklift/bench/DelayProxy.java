package dev.blocklift.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A TCP relay on 127.0.0.1 that adds a fixed delay to every request: bytes from the client are held
 * for DELAY_MS before they are forwarded whenever they start a new exchange (the first bytes on a
 * connection, or the first after the server answered), so each HTTP request on a keep-alive
 * connection waits once, as a request to a remote S3 region would, and a large body is not delayed
 * per packet.
 *
 * <pre>
 * java -cp bench/target/classes dev.blocklift.bench.DelayProxy LISTEN_PORT TARGET_PORT DELAY_MS
 * </pre>
 */
public final class DelayProxy {
  private DelayProxy() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 3) {
      System.err.println("usage: DelayProxy LISTEN_PORT TARGET_PORT DELAY_MS");
      System.exit(2);
    }
    int listen = Integer.parseInt(args[0]);
    int target = Integer.parseInt(args[1]);
    long delayMs = Long.parseLong(args[2]);
    InetAddress lo = InetAddress.getLoopbackAddress();
    try (ServerSocket server = new ServerSocket()) {
      server.bind(new InetSocketAddress(lo, listen));
      System.out.println("delay proxy on 127.0.0.1:" + server.getLocalPort() + " -> " + target);
      System.out.flush();
      while (true) {
        Socket client = server.accept();
        Thread.ofVirtual().start(() -> relay(client, lo, target, delayMs));
      }
    }
  }

  private static void relay(Socket client, InetAddress lo, int target, long delayMs) {
    try (client;
        Socket upstream = new Socket(lo, target)) {
      client.setTcpNoDelay(true);
      upstream.setTcpNoDelay(true);
      AtomicBoolean answered = new AtomicBoolean(true);
      Thread back =
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      copy(upstream.getInputStream(), client.getOutputStream(), answered, 0);
                    } catch (IOException e) {
                      // the connection ended
                    }
                  });
      try {
        copy(client.getInputStream(), upstream.getOutputStream(), answered, delayMs);
      } catch (IOException e) {
        // the connection ended
      }
      upstream.shutdownOutput();
      back.join(60_000);
    } catch (IOException | InterruptedException e) {
      // one connection failed; the proxy goes on
    }
  }

  /**
   * Copies until EOF. With a delay (client → server), waits before forwarding bytes that start a
   * new exchange; without (server → client), marks the exchange answered.
   */
  private static void copy(InputStream in, OutputStream out, AtomicBoolean answered, long delayMs)
      throws IOException {
    byte[] buf = new byte[64 * 1024];
    int n;
    while ((n = in.read(buf)) >= 0) {
      if (delayMs > 0 && answered.getAndSet(false)) {
        try {
          Thread.sleep(delayMs); // the simulated network latency itself
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      } else if (delayMs == 0) {
        answered.set(true);
      }
      out.write(buf, 0, n);
      out.flush();
    }
  }
}
