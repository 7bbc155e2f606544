package dev.blocklift.nbd;

import static dev.blocklift.nbd.NbdProto.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seeded garbage and mutations of valid handshakes and requests against one server: each bad
 * connection is answered or closed in bounded time, and a good client is served correctly after
 * every one of them. Reproduce a failure with its seed.
 */
class NbdFuzzTest {
  private static final int ROUNDS = 80;

  private static Path dir;
  private static byte[] image;
  private static NbdServer server;
  private static Path sock;

  @BeforeAll
  static void start() throws IOException {
    dir = java.nio.file.Files.createTempDirectory("nbd-fuzz");
    image = NbdServerTest.image(99);
    sock = dir.resolve("fuzz.sock");
    server =
        NbdServer.unix(
            NbdServerTest.export(new MemoryDevice(image, false)), sock, Duration.ofSeconds(3));
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      long deadline = System.nanoTime() + 15_000_000_000L;
      while (server.connections() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertEquals(0, server.connections(), "every fuzzed connection ended");
      assertTrue(server.stats().dropped.sum() > 0, "some inputs were garbage");
    } finally {
      server.close();
      java.nio.file.Files.deleteIfExists(dir);
    }
  }

  static Stream<Long> seeds() {
    return LongStream.range(0, ROUNDS).boxed();
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void garbageIsAnsweredOrClosedAndOthersAreServed(long seed) throws Exception {
    SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 1);
    byte[] input =
        switch ((int) (seed % 4)) {
          case 0 -> random(r, 1 + r.nextInt(4096));
          case 1 -> mutate(r, handshake(r));
          case 2 -> concat(handshake(r), mutate(r, requests(r)));
          default -> mutate(r, concat(handshake(r), requests(r)));
        };
    long t0 = System.nanoTime();
    try (RawClient c = new RawClient(sock, 20)) {
      c.read(18); // the greeting
      try {
        int pos = 0;
        while (pos < input.length) {
          int n = Math.min(input.length - pos, 1 + r.nextInt(512));
          c.send(ByteBuffer.wrap(input, pos, n));
          pos += n;
        }
        c.ch.shutdownOutput();
      } catch (IOException e) {
        // the server closed on us: fine
      }
      drain(c);
    }
    assertTrue(System.nanoTime() - t0 < 15_000_000_000L, "bounded: seed " + seed);
    // The server still serves a good client.
    try (RawClient good = new RawClient(sock, 20)) {
      good.go(true);
      int off = r.nextInt(image.length - 5000);
      good.request(0, CMD_READ, 1, off, 5000, null);
      assertArrayEquals(
          Arrays.copyOfRange(image, off, off + 5000),
          RawClient.assemble(good.structured(), off, 5000),
          "seed " + seed);
      good.request(0, CMD_DISC, 2, 0, 0, null);
    }
  }

  /** Reads what the server sends until it closes (the watchdog bounds the wait). */
  private static void drain(RawClient c) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(64 * 1024);
    try {
      while (c.ch.read(b) >= 0) {
        b.clear();
      }
    } catch (IOException e) {
      // reset by the server: closed too
      if (!c.ch.isOpen()) {
        throw new IOException("the server neither answered nor closed in time", e);
      }
    }
  }

  private static byte[] random(SplittableRandom r, int n) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    return b;
  }

  /** Client flags and a plausible run of options ending in GO (or EXPORT_NAME). */
  private static byte[] handshake(SplittableRandom r) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(ByteBuffer.allocate(4).putInt(CLIENT_FIXED_NEWSTYLE | CLIENT_NO_ZEROES).array());
    List<byte[]> options =
        List.of(
            RawClient.option(OPT_STRUCTURED_REPLY, new byte[0]),
            RawClient.option(OPT_LIST, new byte[0]),
            RawClient.option(OPT_LIST_META_CONTEXT, RawClient.metaData("", "base:")),
            RawClient.option(OPT_SET_META_CONTEXT, RawClient.metaData("", BASE_ALLOCATION)),
            RawClient.option(OPT_INFO, RawClient.goData("test:1", INFO_NAME, INFO_BLOCK_SIZE)),
            RawClient.option(77, random(r, r.nextInt(40))));
    int n = r.nextInt(6);
    for (int i = 0; i < n; i++) {
      out.writeBytes(options.get(r.nextInt(options.size())));
    }
    out.writeBytes(
        r.nextInt(5) == 0
            ? RawClient.option(OPT_EXPORT_NAME, new byte[0])
            : RawClient.option(OPT_GO, RawClient.goData("", INFO_BLOCK_SIZE)));
    return out.toByteArray();
  }

  /** Plausible requests of every kind, ending (usually) in DISC. */
  private static byte[] requests(SplittableRandom r) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int n = 1 + r.nextInt(12);
    for (int i = 0; i < n; i++) {
      int type = r.nextInt(9);
      long offset = r.nextInt(image.length);
      long length = r.nextInt(70_000);
      out.writeBytes(RawClient.request(r.nextInt(8) == 0 ? 1 : 0, type, i, offset, length));
      if (type == CMD_WRITE) {
        out.writeBytes(new byte[(int) length]);
      }
    }
    if (r.nextBoolean()) {
      out.writeBytes(RawClient.request(0, CMD_DISC, 99, 0, 0));
    }
    return out.toByteArray();
  }

  private static final int[] EXTREMES = {
    0,
    1,
    -1,
    0x7fffffff,
    0x80000000,
    MAX_OPTION_DATA,
    MAX_OPTION_DATA + 1,
    MAX_PAYLOAD,
    MAX_PAYLOAD + 1,
    (int) IHAVEOPT,
    REQUEST_MAGIC
  };

  /** A few mutations: flipped bytes, extreme 32-bit fields, cuts, insertions, repeats. */
  private static byte[] mutate(SplittableRandom r, byte[] in) {
    byte[] b = in.clone();
    int n = 1 + r.nextInt(4);
    for (int i = 0; i < n && b.length > 4; i++) {
      int at = r.nextInt(b.length - 4);
      switch (r.nextInt(5)) {
        case 0 -> b[at] ^= (byte) (1 << r.nextInt(8));
        case 1 -> ByteBuffer.wrap(b).putInt(at, EXTREMES[r.nextInt(EXTREMES.length)]);
        case 2 -> b = Arrays.copyOf(b, at + 1);
        case 3 -> b = concat(Arrays.copyOf(b, at), random(r, 1 + r.nextInt(64)), tail(b, at));
        default -> {
          int len = Math.min(b.length - at, 1 + r.nextInt(64));
          b =
              concat(
                  Arrays.copyOf(b, at + len),
                  Arrays.copyOfRange(b, at, at + len),
                  tail(b, at + len));
        }
      }
    }
    return b;
  }

  private static byte[] tail(byte[] b, int from) {
    return Arrays.copyOfRange(b, from, b.length);
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
