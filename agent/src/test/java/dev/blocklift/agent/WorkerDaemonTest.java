package dev.blocklift.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.cache.tier.MemoryTier;
import dev.blocklift.chunk.TenantId;
import dev.blocklift.chunk.keys.LocalKeyring;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ByteSize;
import dev.blocklift.store.Stores;
import dev.blocklift.testing.Requirements;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The worker daemon in-process, through its unix-socket API: mounts, sharing, errors, garbage. */
class WorkerDaemonTest {
  @TempDir Path tmp;

  /** These tests make no runs. */
  private static final WorkerRuns.Parser NO_RUNS =
      (argv, cwd) -> {
        throw new BlockliftException("no runs in this test");
      };

  /** A worker over {@code home}'s local store and keyring, with a memory tier of {@code mib}. */
  private static Worker worker(Path home, int mib) throws Exception {
    return Worker.open(
        Worker.Parts.overStore(
            Stores.open(home.resolve("store").toString()),
            LocalKeyring.open(home.resolve("keyring.json"), Clock.systemUTC()),
            List.of(new MemoryTier(ByteSize.ofMiB(mib).bytes())),
            Duration.ofSeconds(20)),
        new Worker.Options(Duration.ofSeconds(20), TenantId.DEFAULT, ByteSize.ofMiB(2), -1));
  }

  private WorkerDaemon start(Path home, Path socket, Path mnt) throws Exception {
    return WorkerDaemon.start(
        worker(home, 64),
        tmp.resolve("state"),
        List.of(mnt),
        NO_RUNS,
        new WorkerServer.Listen(socket, "rw-rw----", Optional.empty(), Optional.empty()));
  }

  @Test
  void twoMountsShareOneCacheAndErrorsAreOneLineWithTheirStatus() throws Exception {
    Requirements.root();
    Requirements.fuse();
    Requirements.loopDevices();
    Requirements.commands("mkfs.ext4");
    Path home = tmp.resolve("home");
    WorkerEndToEndTest.convertFixture(tmp, home, "busybox:1");
    byte[] data = Files.readAllBytes(tmp.resolve("tree").resolve(Ext4Fixture.DATA_FILE));
    Path mnt = Files.createDirectories(tmp.resolve("mnt"));
    Path a = Files.createDirectories(mnt.resolve("a"));
    Path b = Files.createDirectories(mnt.resolve("b"));
    Path socket = tmp.resolve("w.sock");
    try (WorkerDaemon d = start(home, socket, mnt)) {
      WorkerClient c = new WorkerClient(socket, Duration.ofSeconds(60));
      assertEquals(200, c.post("/mount?image=busybox:1&ro=true&dir=" + a).status());
      assertEquals(200, c.post("/mount?image=busybox:1&dir=" + b).status());
      WorkerClient.Answer again = c.post("/mount?image=busybox:1&dir=" + b);
      assertEquals(400, again.status(), again.body());
      assertArrayEquals(data, Files.readAllBytes(a.resolve(Ext4Fixture.DATA_FILE)));
      String m1 = c.get("/metrics").body();
      assertArrayEquals(data, Files.readAllBytes(b.resolve(Ext4Fixture.DATA_FILE)));
      String m2 = c.get("/metrics").body();
      // The second mount of the same image is served by the shared memory tier.
      assertEquals(
          metric(m1, "blocklift_store_gets_total"), metric(m2, "blocklift_store_gets_total"));
      assertTrue(metric(m1, "blocklift_store_gets_total") > 0, m1);
      String mounts = c.get("/mounts").body();
      assertTrue(mounts.contains(a.toString()) && mounts.contains(b.toString()), mounts);

      WorkerClient.Answer etc = c.post("/mount?image=busybox:1&dir=/etc");
      assertEquals(400, etc.status());
      assertTrue(etc.body().contains("not under a mount root"), etc.body());
      assertEquals(1, etc.body().strip().lines().count(), etc.body());
      assertEquals(405, c.get("/mount?image=busybox:1&dir=" + a).status());
      assertEquals(404, c.get("/nothing").status());
      assertEquals(400, c.post("/mount?image=nosuch:1&dir=" + mnt).status());
      assertEquals(400, c.post("/umount?dir=" + tmp).status());
      assertEquals(400, c.post("/runs?pid=1").status(), "a run request without a body");

      garbage(socket, new SplittableRandom(7));
      assertEquals(200, c.get("/health").status(), "garbage on the socket does not hurt the API");

      assertEquals(200, c.post("/umount?dir=" + a).status());
      assertFalse(ContainerRun.isMountPoint(a));
    }
    assertFalse(ContainerRun.isMountPoint(b), "closing the worker unmounts the rest");
  }

  @Test
  void tcpNeedsTheBearerTokenAndTheTokenFileMustBePrivate() throws Exception {
    Path home = tmp.resolve("home");
    Path token = tmp.resolve("token");
    Files.writeString(token, "0123456789abcdef0123\n", StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(
        token, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    var open =
        new WorkerServer.Listen(
            tmp.resolve("t.sock"),
            "rw-rw----",
            Optional.of(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0)),
            Optional.of(token));
    BlockliftException readable =
        org.junit.jupiter.api.Assertions.assertThrows(
            BlockliftException.class, () -> WorkerServer.readToken(token));
    assertTrue(readable.getMessage().contains("readable by others"), readable.getMessage());
    Files.setPosixFilePermissions(
        token, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    org.junit.jupiter.api.Assertions.assertThrows(
        BlockliftException.class,
        () ->
            new WorkerServer.Listen(
                tmp.resolve("x.sock"), "rw-rw----", open.tcp(), Optional.empty()),
        "TCP without a token is refused");
    Requirements.root();
    Requirements.fuse();
    Files.createDirectories(home);
    Path mnt = Files.createDirectories(tmp.resolve("mnt"));
    try (WorkerDaemon d =
        WorkerDaemon.start(worker(home, 8), tmp.resolve("state"), List.of(mnt), NO_RUNS, open)) {
      int port = d.tcpPort().orElseThrow();
      var http = java.net.http.HttpClient.newHttpClient();
      var uri = java.net.URI.create("http://127.0.0.1:" + port + "/mounts");
      var none =
          http.send(
              java.net.http.HttpRequest.newBuilder(uri).build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      assertEquals(401, none.statusCode(), none.body());
      var wrong =
          http.send(
              java.net.http.HttpRequest.newBuilder(uri)
                  .header("Authorization", "Bearer 0123456789abcdef0124")
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      assertEquals(401, wrong.statusCode());
      var right =
          http.send(
              java.net.http.HttpRequest.newBuilder(uri)
                  .header("Authorization", "Bearer 0123456789abcdef0123")
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      assertEquals(200, right.statusCode(), right.body());
      assertEquals("[]", right.body());
    }
  }

  private static long metric(String text, String name) {
    return text.lines()
        .filter(l -> l.startsWith(name + " "))
        .mapToLong(l -> (long) Double.parseDouble(l.substring(name.length() + 1).strip()))
        .findFirst()
        .orElseThrow(() -> new AssertionError(name + " missing"));
  }

  /** Seeded random bytes and malformed requests, each on a connection of its own. */
  private static void garbage(Path socket, SplittableRandom r) throws Exception {
    List<byte[]> inputs =
        new java.util.ArrayList<>(
            List.of(
                "GET / HTTP/9.9\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
                ("GET /mounts HTTP/1.1\r\nHost: x\r\nX: " + "a".repeat(40_000) + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII),
                "POST /runs HTTP/1.1\r\nContent-Length: 99999999\r\n\r\nxx"
                    .getBytes(StandardCharsets.US_ASCII)));
    for (int i = 0; i < 20; i++) {
      byte[] b = new byte[1 + r.nextInt(2048)];
      r.nextBytes(b);
      inputs.add(b);
    }
    for (byte[] in : inputs) {
      try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        ch.connect(UnixDomainSocketAddress.of(socket));
        ch.write(ByteBuffer.wrap(in));
        ch.shutdownOutput();
        ByteBuffer sink = ByteBuffer.allocate(4096);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline && ch.read(sink) >= 0) {
          sink.clear();
        }
      } catch (java.io.IOException e) {
        // the worker closed the connection: fine, as long as it keeps serving
      }
    }
  }
}
