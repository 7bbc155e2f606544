package dev.blocklift.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.blocklift.core.ChunkName;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An S3 store facing a server that is gone, one that never answers, and one that answers 500: a
 * clear {@link IOException} naming the store, in bounded time, after the SDK's retries.
 */
class S3FaultTest {
  @TempDir Path dir;

  private static final byte[] BYTES = "some ciphertext".getBytes(StandardCharsets.UTF_8);
  private static final ChunkName NAME = ChunkName.ofCiphertext(BYTES);

  private static S3StoreConfig config(URI endpoint) {
    return S3StoreConfig.of("bucket", "p")
        .withEndpoint(endpoint, true)
        .withLimits(4, 3, Duration.ofSeconds(2));
  }

  @Test
  void aStoppedServerGivesAClearIoErrorNotAHang() throws Exception {
    S3ProxyServer server = S3ProxyServer.start(dir);
    server.createBucket("bucket");
    try (S3ChunkStore store =
        S3ChunkStore.open(config(server.endpoint()), S3ProxyServer.credentials())) {
      store.putIfAbsent(NAME, BYTES);
      assertArrayEquals(BYTES, store.get(NAME).orElseThrow());
      server.stop();
      IOException e =
          assertTimeoutPreemptively(
              Duration.ofSeconds(30), () -> assertThrows(IOException.class, () -> store.get(NAME)));
      assertTrue(e.getMessage().contains("s3://bucket/p/"), e.getMessage());
      assertTrue(e.getMessage().contains(server.endpoint().toString()), e.getMessage());
      assertTimeoutPreemptively(
          Duration.ofSeconds(30),
          () -> assertThrows(IOException.class, () -> store.putIfAbsent(NAME, BYTES)));
    } finally {
      server.close();
    }
  }

  @Test
  void aServerThatNeverAnswersTimesOut() throws Exception {
    List<Socket> held = new ArrayList<>();
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread acceptor =
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      while (true) {
                        held.add(silent.accept()); // accept and never answer
                      }
                    } catch (IOException e) {
                      // closed
                    }
                  });
      URI endpoint = URI.create("http://127.0.0.1:" + silent.getLocalPort());
      S3StoreConfig c =
          S3StoreConfig.of("bucket", "")
              .withEndpoint(endpoint, true)
              .withLimits(4, 2, Duration.ofMillis(700));
      try (S3ChunkStore store = S3ChunkStore.open(c, S3ProxyServer.credentials())) {
        IOException e =
            assertTimeoutPreemptively(
                Duration.ofSeconds(20),
                () -> assertThrows(IOException.class, () -> store.exists(NAME)));
        assertTrue(e.getMessage().contains("look up chunk " + NAME), e.getMessage());
      }
      acceptor.interrupt();
    } finally {
      for (Socket s : held) {
        s.close();
      }
    }
  }

  @Test
  void aServerAnswering500IsRetriedThenReported() throws Exception {
    AtomicInteger requests = new AtomicInteger();
    HttpServer http =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    http.createContext(
        "/",
        ex -> {
          requests.incrementAndGet();
          ex.getRequestBody().readAllBytes();
          byte[] body =
              ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>InternalError</Code>"
                      + "<Message>We encountered an internal error. Please try again.</Message></Error>")
                  .getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().add("Content-Type", "application/xml");
          ex.sendResponseHeaders(500, body.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
          }
        });
    http.start();
    try {
      URI endpoint = URI.create("http://127.0.0.1:" + http.getAddress().getPort());
      try (S3ChunkStore store = S3ChunkStore.open(config(endpoint), S3ProxyServer.credentials())) {
        IOException e =
            assertTimeoutPreemptively(
                Duration.ofSeconds(30),
                () -> assertThrows(IOException.class, () -> store.putIfAbsent(NAME, BYTES)));
        assertTrue(e.getMessage().contains("HTTP 500"), e.getMessage());
        assertTrue(requests.get() >= 3, "retried: " + requests.get() + " requests for 3 attempts");
      }
    } finally {
      http.stop(0);
    }
  }
}
