package dev.blocklift.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code blocklift nbd} as a client of the worker's {@code /nbd} API (a fake worker here). */
class NbdCommandTest {
  @TempDir Path tmp;

  /** A worker stand-in: answers POST /nbd with an export, GET /nbd with {@code list}. */
  static final class FakeWorker implements AutoCloseable {
    final ServerSocketChannel server;
    final List<String> requests = new CopyOnWriteArrayList<>();
    volatile String list = "[]";

    FakeWorker(Path socket) throws IOException {
      server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      server.bind(UnixDomainSocketAddress.of(socket));
      Thread.ofVirtual().start(this::loop);
    }

    private void loop() {
      while (server.isOpen()) {
        try (SocketChannel c = server.accept()) {
          StringBuilder head = new StringBuilder();
          ByteBuffer b = ByteBuffer.allocate(4096);
          while (!head.toString().contains("\r\n\r\n") && c.read(b) > 0) {
            head.append(new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII));
            b.clear();
          }
          String line = head.toString().lines().findFirst().orElse("");
          requests.add(line);
          String body =
              line.startsWith("POST /nbd")
                  ? "{\"id\":\"nbd-1\",\"uri\":\"nbd+unix:///?socket=/run/x.sock\"}"
                  : line.startsWith("GET /nbd") ? list : "{\"stopped\":\"nbd-1\"}";
          byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
          String answer =
              "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                  + bytes.length
                  + "\r\nConnection: close\r\n\r\n"
                  + body;
          c.write(ByteBuffer.wrap(answer.getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
          return;
        }
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }

  @Test
  void noWorkerIsAClearOneLineError() {
    StringWriter err = new StringWriter();
    var cl = BlockliftCommand.commandLine();
    cl.setErr(new PrintWriter(err));
    Path sock = tmp.resolve("none.sock");
    assertEquals(1, cl.execute("nbd", "img:1", "--detach", "--worker", sock.toString()));
    assertTrue(err.toString().startsWith("blocklift: no worker at " + sock), err.toString());
    assertEquals(1, err.toString().strip().lines().count(), err.toString());
  }

  @Test
  void socketAndListenExcludeEachOther() {
    var cl = BlockliftCommand.commandLine();
    cl.setErr(new PrintWriter(new StringWriter()));
    assertEquals(
        2, cl.execute("nbd", "img:1", "--socket", "/tmp/a.sock", "--listen", "127.0.0.1:10809"));
  }

  @Test
  void printsTheUriAndKeepsTheExportUntilTheWorkerDropsIt() throws Exception {
    Path sock = tmp.resolve("w.sock");
    try (FakeWorker w = new FakeWorker(sock)) {
      StringWriter out = new StringWriter();
      var cl = BlockliftCommand.commandLine();
      cl.setOut(new PrintWriter(out));
      cl.setErr(new PrintWriter(new StringWriter()));
      assertEquals(
          0,
          cl.execute(
              "nbd",
              "img:1",
              "--rw",
              "--listen",
              "127.0.0.1:10809",
              "--detach",
              "--worker",
              sock.toString()));
      assertEquals("nbd+unix:///?socket=/run/x.sock", out.toString().strip());
      assertEquals(
          "POST /nbd?image=img%3A1&listen=127.0.0.1%3A10809&rw=true HTTP/1.1", w.requests.get(0));

      // Without --detach it stays until the export is gone (the worker's list lacks it).
      StringWriter err = new StringWriter();
      var cl2 = BlockliftCommand.commandLine();
      cl2.setOut(new PrintWriter(new StringWriter()));
      cl2.setErr(new PrintWriter(err));
      assertEquals(1, cl2.execute("nbd", "img:1", "--worker", sock.toString()));
      assertTrue(err.toString().contains("was stopped by the worker"), err.toString());
      assertTrue(
          w.requests.stream().anyMatch(r -> r.startsWith("GET /nbd")), w.requests.toString());
    }
  }
}
