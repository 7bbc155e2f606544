package dev.blocklift.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.CorruptDataException;
import dev.blocklift.core.Digest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Property-style tests of the verifying and resuming streams, with seeded randomness. */
class StreamsTest {
  private static final RetryPolicy QUICK = new RetryPolicy(4, Duration.ZERO, Duration.ZERO);

  /** Reads with random read sizes, as consumers do. */
  private static byte[] drain(InputStream in, SplittableRandom random) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[70_000];
    while (true) {
      int n = in.read(buf, 0, 1 + random.nextInt(buf.length));
      if (n < 0) {
        return out.toByteArray();
      }
      out.write(buf, 0, n);
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
  void resumingAfterRandomCutsYieldsExactlyTheBlob(long seed) throws IOException {
    SplittableRandom random = new SplittableRandom(seed);
    byte[] blob = new byte[random.nextInt(500_000)];
    random.nextBytes(blob);
    boolean honoursRange = random.nextBoolean();
    int[] opens = {0};
    ResumableStream.Opener opener =
        offset -> {
          opens[0]++;
          int from = honoursRange ? (int) offset : 0;
          int cut = (int) offset + random.nextInt(blob.length - (int) offset + 1);
          InputStream slice = new ByteArrayInputStream(blob, from, cut - from);
          InputStream body =
              cut >= blob.length || opens[0] > 20
                  ? new ByteArrayInputStream(blob, from, blob.length - from)
                  : new FailingAtEnd(slice);
          if (!honoursRange) {
            body.skipNBytes(offset);
          }
          return body;
        };
    Digest digest = Digest.sha256(blob);
    try (InputStream in =
        new VerifyingInputStream(
            new ResumableStream(
                opener, blob.length, new RetryPolicy(30, Duration.ZERO, Duration.ZERO), "b"),
            digest,
            blob.length,
            "blob")) {
      assertArrayEquals(blob, drain(in, random), "seed " + seed);
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {11, 12, 13, 14})
  void anyFlippedByteOrWrongSizeIsCorrupt(long seed) throws IOException {
    SplittableRandom random = new SplittableRandom(seed);
    byte[] blob = new byte[1 + random.nextInt(200_000)];
    random.nextBytes(blob);
    Digest digest = Digest.sha256(blob);
    byte[] bad = blob.clone();
    bad[random.nextInt(bad.length)] ^= (byte) (1 + random.nextInt(255));
    assertThrows(
        CorruptDataException.class,
        () ->
            drain(
                new VerifyingInputStream(new ByteArrayInputStream(bad), digest, blob.length, "x"),
                random),
        "seed " + seed);
    CorruptDataException shorter =
        assertThrows(
            CorruptDataException.class,
            () ->
                drain(
                    new VerifyingInputStream(
                        new ByteArrayInputStream(blob, 0, blob.length - 1),
                        digest,
                        blob.length,
                        "x"),
                    random));
    assertTrue(shorter.getMessage().contains("truncated"), shorter.getMessage());
    CorruptDataException longer =
        assertThrows(
            CorruptDataException.class,
            () ->
                drain(
                    new VerifyingInputStream(
                        new ByteArrayInputStream(blob), digest, blob.length - 1, "x"),
                    random));
    assertTrue(longer.getMessage().contains("longer"), longer.getMessage());
  }

  @Test
  void failuresWithoutProgressAreBounded() throws IOException {
    int[] opens = {0};
    ResumableStream in =
        new ResumableStream(
            offset -> {
              opens[0]++;
              return new FailingAtEnd(InputStream.nullInputStream());
            },
            10,
            QUICK,
            "blob sha256:x");
    IOException e = assertThrows(IOException.class, in::readAllBytes);
    assertTrue(e.getMessage().contains("failed at byte 0 of 10 after 4 attempts"), e.getMessage());
    assertEquals(4, opens[0]);
  }

  @Test
  void backoffDoublesUpToTheCap() {
    RetryPolicy p = new RetryPolicy(6, Duration.ofMillis(100), Duration.ofMillis(350));
    assertEquals(Duration.ofMillis(100), p.backoff(1));
    assertEquals(Duration.ofMillis(200), p.backoff(2));
    assertEquals(Duration.ofMillis(350), p.backoff(3));
    assertEquals(Duration.ofMillis(350), p.backoff(9));
    assertThrows(
        IllegalArgumentException.class, () -> new RetryPolicy(0, Duration.ZERO, Duration.ZERO));
  }

  @Test
  void contentRangeAndLoopbackHelpers() {
    assertEquals(1234, RegistryImageSource.rangeStart("bytes 1234-5000/5001"));
    assertEquals(-1, RegistryImageSource.rangeStart("items 1-2/3"));
    assertTrue(RegistryClient.isLoopback("localhost:5000"));
    assertTrue(RegistryClient.isLoopback("127.0.0.1"));
    assertTrue(RegistryClient.isLoopback("[::1]:5000"));
    assertEquals(false, RegistryClient.isLoopback("registry.example.io"));
  }

  /** A stream that throws a connection reset instead of returning end-of-stream. */
  private static final class FailingAtEnd extends InputStream {
    private final InputStream in;

    FailingAtEnd(InputStream in) {
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b < 0) {
        throw new java.net.SocketException("Connection reset");
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n < 0) {
        throw new java.net.SocketException("Connection reset");
      }
      return n;
    }
  }
}
