package dev.blocklift.image.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReadAheadInputStreamTest {

  /** A source that returns short reads of random size and counts what it gave out. */
  private static final class ChoppySource extends InputStream {
    private final byte[] data;
    private final SplittableRandom random;
    private final long failAt;
    final AtomicLong given = new AtomicLong();
    private int pos;

    ChoppySource(byte[] data, long seed, long failAt) {
      this.data = data;
      this.random = new SplittableRandom(seed);
      this.failAt = failAt;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (pos == failAt) {
        throw new IOException("broken at " + pos);
      }
      if (pos == data.length) {
        return -1;
      }
      int n = Math.min(len, 1 + random.nextInt(100_000));
      n = (int) Math.min(n, Math.min(data.length - pos, failAt - pos));
      System.arraycopy(data, pos, b, off, n);
      pos += n;
      given.addAndGet(n);
      return n;
    }
  }

  private static byte[] randomBytes(long seed, int size) {
    byte[] data = new byte[size];
    new SplittableRandom(seed).nextBytes(data);
    return data;
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5})
  void deliversEveryByteInOrderWithProgress(long seed) throws IOException {
    int size = new SplittableRandom(seed).nextInt(3 * ReadAheadInputStream.BLOCK);
    byte[] data = randomBytes(seed, size);
    ChoppySource source = new ChoppySource(data, seed, Long.MAX_VALUE);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    SplittableRandom reads = new SplittableRandom(seed * 31);
    try (ReadAheadInputStream in =
        new ReadAheadInputStream(
            source, source.given::get, ReadAheadInputStream.daemonThreads("test"))) {
      byte[] buf = new byte[70_000];
      while (true) {
        if (reads.nextBoolean()) {
          int b = in.read();
          if (b < 0) {
            break;
          }
          out.write(b);
        } else {
          int n = in.read(buf, 0, 1 + reads.nextInt(buf.length));
          if (n < 0) {
            break;
          }
          out.write(buf, 0, n);
        }
        assertTrue(in.progress() >= out.size(), "progress behind the bytes, seed " + seed);
      }
      assertArrayEquals(data, out.toByteArray(), "seed " + seed);
      assertEquals(data.length, in.progress(), "seed " + seed);
    }
  }

  @ParameterizedTest
  @ValueSource(longs = {11, 12, 13})
  void aFailureSurfacesAfterTheBytesBeforeIt(long seed) {
    byte[] data = randomBytes(seed, 2 * ReadAheadInputStream.BLOCK);
    int failAt = 1 + new SplittableRandom(seed).nextInt(data.length - 1);
    ChoppySource source = new ChoppySource(data, seed, failAt);
    try (ReadAheadInputStream in =
        new ReadAheadInputStream(
            source, source.given::get, ReadAheadInputStream.daemonThreads("test"))) {
      byte[] got = new byte[failAt];
      int n = in.readNBytes(got, 0, failAt);
      assertEquals(failAt, n, "seed " + seed);
      assertArrayEquals(Arrays.copyOf(data, failAt), got, "seed " + seed);
      IOException e = assertThrows(IOException.class, in::read, "seed " + seed);
      assertEquals("broken at " + failAt, e.getMessage());
    } catch (IOException e) {
      throw new AssertionError("seed " + seed, e);
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 5})
  void stopEndsTheReaderWhileItStillHasDataToRead(int blocksRead) throws IOException {
    byte[] data = randomBytes(7, 20 * ReadAheadInputStream.BLOCK);
    ChoppySource source = new ChoppySource(data, 7, Long.MAX_VALUE);
    ReadAheadInputStream in =
        new ReadAheadInputStream(
            source, source.given::get, ReadAheadInputStream.daemonThreads("test"));
    in.readNBytes(blocksRead * ReadAheadInputStream.BLOCK);
    in.stop();
    long afterStop = source.given.get();
    assertTrue(afterStop < data.length, "the reader went on to the end: " + afterStop);
    assertThrows(IOException.class, in::read);
    assertEquals(afterStop, source.given.get(), "the reader read after stop()");
    in.close();
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 100})
  void anEmptyOrTinySourceEnds(int size) throws IOException {
    byte[] data = randomBytes(3, size);
    try (ReadAheadInputStream in =
        new ReadAheadInputStream(
            new ByteArrayInputStream(data), () -> 0, ReadAheadInputStream.daemonThreads("test"))) {
      assertArrayEquals(data, in.readAllBytes());
      assertEquals(-1, in.read(new byte[4], 0, 4));
    }
  }
}
