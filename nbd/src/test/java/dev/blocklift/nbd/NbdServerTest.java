package dev.blocklift.nbd;

import static dev.blocklift.nbd.NbdProto.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The protocol against a device in memory, with a raw client: handshake, options, every command,
 * error replies, and what closes a connection.
 */
class NbdServerTest {
  static final int CHUNK = 64 * 1024;
  static final int SIZE = 16 * CHUNK + 1000; // a short last chunk

  @TempDir Path tmp;

  /** A device of random bytes whose odd chunks (and the last one) are holes of zeroes. */
  static byte[] image(long seed) {
    byte[] b = new byte[SIZE];
    new SplittableRandom(seed).nextBytes(b);
    for (int c = 0; c * CHUNK < SIZE; c++) {
      if (hole(c)) {
        Arrays.fill(b, c * CHUNK, Math.min(SIZE, (c + 1) * CHUNK), (byte) 0);
      }
    }
    return b;
  }

  static boolean hole(int chunk) {
    return chunk % 2 == 1 || chunk == SIZE / CHUNK;
  }

  static NbdExport export(MemoryDevice d) {
    return new NbdExport("test:1", "a test export", d, d, CHUNK, NbdServerTest::hole, null);
  }

  @Test
  void handshakeOptionsAndInfo() throws Exception {
    MemoryDevice d = new MemoryDevice(image(1), false);
    Path sock = tmp.resolve("a.sock");
    try (NbdServer s = NbdServer.unix(export(d), sock);
        RawClient c = new RawClient(sock, 30)) {
      assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock)));
      assertEquals("nbd+unix:///?socket=" + sock.toAbsolutePath(), s.uri());
      assertEquals(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES, c.hello(CLIENT_FIXED_NEWSTYLE));
      c.send(RawClient.option(OPT_LIST, new byte[0]));
      List<RawClient.OptReply> list = c.replies();
      assertEquals(REP_SERVER, list.get(0).type());
      ByteBuffer srv = list.get(0).buf();
      byte[] name = new byte[srv.getInt()];
      srv.get(name);
      assertEquals("test:1", new String(name, StandardCharsets.UTF_8));
      assertEquals(REP_ACK, list.get(1).type());

      c.send(RawClient.option(OPT_LIST, new byte[3]));
      assertEquals(REP_ERR_INVALID, c.replies().getLast().type());
      c.send(RawClient.option(99, new byte[5]));
      assertEquals(REP_ERR_UNSUP, c.replies().getLast().type());
      c.send(RawClient.option(OPT_STARTTLS, new byte[0]));
      assertEquals(REP_ERR_UNSUP, c.replies().getLast().type());
      c.send(RawClient.option(OPT_SET_META_CONTEXT, RawClient.metaData("", BASE_ALLOCATION)));
      assertEquals(REP_ERR_INVALID, c.replies().getLast().type(), "structured replies first");
      c.send(RawClient.option(OPT_INFO, RawClient.goData("nosuch:1")));
      assertEquals(REP_ERR_UNKNOWN, c.replies().getLast().type());
      c.send(RawClient.option(OPT_INFO, new byte[] {0, 0, 0, 9, 1, 2}));
      assertEquals(REP_ERR_INVALID, c.replies().getLast().type(), "name overruns");

      c.send(
          RawClient.option(
              OPT_INFO, RawClient.goData("test:1", INFO_NAME, INFO_DESCRIPTION, INFO_BLOCK_SIZE)));
      List<RawClient.OptReply> info = c.replies();
      assertEquals(REP_ACK, info.getLast().type());
      boolean sawExport = false;
      boolean sawBlock = false;
      boolean sawName = false;
      boolean sawDesc = false;
      for (RawClient.OptReply r : info.subList(0, info.size() - 1)) {
        assertEquals(REP_INFO, r.type());
        ByteBuffer b = r.buf();
        switch (b.getShort()) {
          case INFO_EXPORT -> {
            sawExport = true;
            assertEquals(SIZE, b.getLong());
            int flags = b.getShort();
            assertEquals(
                TF_HAS_FLAGS
                    | TF_READ_ONLY
                    | TF_SEND_FLUSH
                    | TF_SEND_FUA
                    | TF_SEND_TRIM
                    | TF_SEND_WRITE_ZEROES
                    | TF_CAN_MULTI_CONN
                    | TF_SEND_CACHE,
                flags);
          }
          case INFO_BLOCK_SIZE -> {
            sawBlock = true;
            assertEquals(1, b.getInt());
            assertEquals(4096, b.getInt());
            assertEquals(32 << 20, b.getInt());
          }
          case INFO_NAME -> {
            sawName = true;
            assertEquals("test:1", StandardCharsets.UTF_8.decode(b).toString());
          }
          case INFO_DESCRIPTION -> {
            sawDesc = true;
            assertEquals("a test export", StandardCharsets.UTF_8.decode(b).toString());
          }
          default -> throw new AssertionError("unexpected info");
        }
      }
      assertTrue(sawExport && sawBlock && sawName && sawDesc);

      c.send(RawClient.option(OPT_STRUCTURED_REPLY, new byte[0]));
      assertEquals(REP_ACK, c.replies().getLast().type());
      c.send(RawClient.option(OPT_LIST_META_CONTEXT, RawClient.metaData("", "base:")));
      List<RawClient.OptReply> ctx = c.replies();
      assertEquals(REP_META_CONTEXT, ctx.get(0).type());
      assertEquals(
          BASE_ALLOCATION,
          new String(ctx.get(0).data(), 4, ctx.get(0).data().length - 4, StandardCharsets.UTF_8));
      c.send(RawClient.option(OPT_SET_META_CONTEXT, RawClient.metaData("", "qemu:dirty-bitmap:x")));
      assertEquals(1, c.replies().size(), "an unknown namespace selects nothing: ACK alone");
      c.send(RawClient.option(OPT_ABORT, new byte[0]));
      assertEquals(REP_ACK, c.replies().getLast().type());
      assertThrows(EOFException.class, () -> c.read(1), "ABORT closes");
    }
    assertTrue(Files.notExists(sock), "closing the server removes its socket");
  }

  @Test
  void exportNameWithAndWithoutZeroesThenSimpleReplies() throws Exception {
    byte[] img = image(2);
    MemoryDevice d = new MemoryDevice(img, false);
    Path sock = tmp.resolve("b.sock");
    try (NbdServer s = NbdServer.unix(export(d), sock)) {
      for (boolean noZeroes : new boolean[] {true, false}) {
        try (RawClient c = new RawClient(sock, 30)) {
          c.hello(CLIENT_FIXED_NEWSTYLE | (noZeroes ? CLIENT_NO_ZEROES : 0));
          c.send(RawClient.option(OPT_EXPORT_NAME, "test:1".getBytes(StandardCharsets.UTF_8)));
          ByteBuffer e = c.read(10);
          assertEquals(SIZE, e.getLong());
          assertTrue((e.getShort() & TF_READ_ONLY) != 0);
          if (!noZeroes) {
            assertArrayEquals(new byte[124], c.read(124).array());
          }
          c.request(0, CMD_READ, 7, 1000, 5000, null);
          long[] r = c.simple();
          assertEquals(0, r[0]);
          assertEquals(7, r[1]);
          assertArrayEquals(Arrays.copyOfRange(img, 1000, 6000), c.read(5000).array());
          c.request(0, CMD_WRITE, 8, 0, 4, new byte[4]);
          assertEquals(EPERM, c.simple()[0], "read-only");
          c.request(0, CMD_TRIM, 9, 0, 4096, null);
          assertEquals(EPERM, c.simple()[0]);
          c.request(0, CMD_READ, 10, SIZE - 10, 11, null);
          assertEquals(EINVAL, c.simple()[0], "past the end");
          c.request(0, 42, 11, 0, 0, null);
          assertEquals(EINVAL, c.simple()[0], "unknown command");
          c.request(CMD_FLAG_DF, CMD_READ, 12, 0, 10, null);
          assertEquals(EINVAL, c.simple()[0], "DF was not advertised");
          c.request(0, CMD_FLUSH, 13, 0, 0, null);
          assertEquals(0, c.simple()[0]);
          c.request(0, CMD_BLOCK_STATUS, 14, 0, 4096, null);
          assertEquals(EINVAL, c.simple()[0], "no metadata context");
          c.request(0, CMD_DISC, 15, 0, 0, null);
          assertThrows(EOFException.class, () -> c.read(1), "DISC closes");
        }
      }
      try (RawClient c = new RawClient(sock, 30)) {
        c.hello(CLIENT_FIXED_NEWSTYLE);
        c.send(RawClient.option(OPT_EXPORT_NAME, "other".getBytes(StandardCharsets.UTF_8)));
        assertThrows(EOFException.class, () -> c.read(10), "an unknown export name closes");
      }
    }
  }

  @Test
  void structuredReadsHolesBlockStatusAndErrors() throws Exception {
    byte[] img = image(3);
    MemoryDevice d = new MemoryDevice(img, false);
    Path sock = tmp.resolve("c.sock");
    try (NbdServer s = NbdServer.unix(export(d), sock);
        RawClient c = new RawClient(sock, 30)) {
      long[] ex = c.go(true);
      assertEquals(SIZE, ex[0]);
      // A read across data, hole, data: one OFFSET_HOLE for the hole chunk.
      c.request(0, CMD_READ, 1, CHUNK / 2, 2 * CHUNK, null);
      List<RawClient.Chunk> chunks = c.structured();
      assertTrue(
          chunks.stream().anyMatch(k -> k.type() == REPLY_TYPE_OFFSET_HOLE), chunks.toString());
      assertArrayEquals(
          Arrays.copyOfRange(img, CHUNK / 2, CHUNK / 2 + 2 * CHUNK),
          RawClient.assemble(chunks, CHUNK / 2, 2 * CHUNK));
      // Whole-device block status: alternating data / hole|zero, the short last chunk a hole.
      c.request(0, CMD_BLOCK_STATUS, 2, 0, SIZE, null);
      List<RawClient.Chunk> bs = c.structured();
      assertEquals(1, bs.size());
      assertEquals(REPLY_TYPE_BLOCK_STATUS, bs.get(0).type());
      ByteBuffer b = bs.get(0).buf();
      assertEquals(1, b.getInt(), "the id SET_META_CONTEXT gave");
      long pos = 0;
      while (b.hasRemaining()) {
        long len = Integer.toUnsignedLong(b.getInt());
        int flags = b.getInt();
        assertEquals(hole((int) (pos / CHUNK)) ? STATE_HOLE | STATE_ZERO : 0, flags, "at " + pos);
        pos += len;
      }
      assertEquals(SIZE, pos);
      c.request(CMD_FLAG_REQ_ONE, CMD_BLOCK_STATUS, 3, 100, 10, null);
      ByteBuffer one = c.structured().get(0).buf();
      assertEquals(4 + 8, one.remaining());
      one.getInt();
      assertEquals(10, one.getInt());
      // A chunk that cannot be had: EIO for that request, and the connection goes on.
      d.failFrom = 2 * CHUNK;
      d.failTo = 3 * CHUNK;
      c.request(0, CMD_READ, 4, 2 * CHUNK, 100, null);
      RawClient.Chunk err = c.structured().getLast();
      assertEquals(REPLY_TYPE_ERROR, err.type());
      assertEquals(EIO, err.buf().getInt());
      c.request(0, CMD_CACHE, 5, 0, 4 * CHUNK, null);
      RawClient.Chunk cacheErr = c.structured().getLast();
      assertEquals(EIO, cacheErr.buf().getInt(), "CACHE of a range with a missing chunk");
      d.failFrom = -1;
      d.failTo = -1;
      c.request(0, CMD_CACHE, 6, 0, SIZE, null);
      assertEquals(0, c.chunk().buf().getInt());
      c.request(0, CMD_READ, 7, SIZE, 1, null);
      assertEquals(EINVAL, c.structured().getLast().buf().getInt());
      // Several requests in flight; replies carry their cookies.
      for (int i = 0; i < 20; i++) {
        c.request(0, CMD_READ, 100 + i, (long) i * 3000, 3000, null);
      }
      boolean[] seen = new boolean[20];
      for (int i = 0; i < 20; i++) {
        List<RawClient.Chunk> r = c.structured();
        int k = (int) (r.get(0).cookie() - 100);
        seen[k] = true;
        assertArrayEquals(
            Arrays.copyOfRange(img, k * 3000, k * 3000 + 3000),
            RawClient.assemble(r, (long) k * 3000, 3000));
      }
      for (boolean x : seen) {
        assertTrue(x);
      }
    }
  }

  @Test
  void writesFlushAndZeroesOnAWritableExport() throws Exception {
    byte[] img = image(4);
    MemoryDevice d = new MemoryDevice(img.clone(), true);
    Path sock = tmp.resolve("d.sock");
    try (NbdServer s = NbdServer.unix(export(d), sock);
        RawClient c = new RawClient(sock, 30)) {
      long[] ex = c.go(false);
      assertEquals(0, ex[1] & TF_READ_ONLY);
      byte[] data = new byte[10_000];
      Arrays.fill(data, (byte) 0xab);
      c.request(CMD_FLAG_FUA, CMD_WRITE, 1, 5, data.length, data);
      assertEquals(0, c.simple()[0]);
      assertTrue(d.flushes.get() > 0, "FUA flushes");
      c.request(0, CMD_WRITE_ZEROES, 2, 20_000, 3 * CHUNK, null);
      assertEquals(0, c.simple()[0]);
      c.request(0, CMD_WRITE, 3, SIZE - 2, 4, new byte[4]);
      assertEquals(ENOSPC, c.simple()[0], "a write past the end");
      c.request(0, CMD_READ, 4, 0, 30_000, null);
      assertEquals(0, c.simple()[0]);
      byte[] want = img.clone();
      Arrays.fill(want, 5, 10_005, (byte) 0xab);
      Arrays.fill(want, 20_000, 20_000 + 3 * CHUNK, (byte) 0);
      assertArrayEquals(Arrays.copyOf(want, 30_000), c.read(30_000).array());
      c.request(0, CMD_TRIM, 5, 0, 4096, null);
      assertEquals(0, c.simple()[0]);
    }
  }

  @Test
  void garbageClosesOnlyItsConnection() throws Exception {
    MemoryDevice d = new MemoryDevice(image(5), false);
    Path sock = tmp.resolve("e.sock");
    try (NbdServer s = NbdServer.unix(export(d), sock);
        RawClient good = new RawClient(sock, 60)) {
      good.go(true);
      try (RawClient c = new RawClient(sock, 30)) {
        c.hello(CLIENT_FIXED_NEWSTYLE | 4);
        assertThrows(EOFException.class, () -> c.read(1), "an unknown client flag closes");
      }
      try (RawClient c = new RawClient(sock, 30)) {
        c.hello(CLIENT_FIXED_NEWSTYLE);
        c.send(ByteBuffer.allocate(16).putLong(IHAVEOPT).putInt(OPT_INFO).putInt(1 << 20).flip());
        assertThrows(EOFException.class, () -> c.read(1), "option data over 64 KiB closes");
      }
      try (RawClient c = new RawClient(sock, 30)) {
        c.go(false);
        c.send(RawClient.request(0, CMD_WRITE, 1, 0, (32 << 20) + 1));
        assertThrows(EOFException.class, () -> c.read(1), "a write over 32 MiB closes");
      }
      try (RawClient c = new RawClient(sock, 30)) {
        c.go(false);
        c.send(new byte[28]);
        assertThrows(EOFException.class, () -> c.read(1), "a bad request magic closes");
      }
      good.request(0, CMD_READ, 9, 0, 100, null);
      assertEquals(REPLY_TYPE_OFFSET_DATA, good.structured().get(0).type(), "others go on");
    }
  }

  @Test
  void aStalledHandshakeIsClosedAfterTheTimeout() throws Exception {
    MemoryDevice d = new MemoryDevice(image(6), false);
    Path sock = tmp.resolve("f.sock");
    try (NbdServer s = NbdServer.unix(export(d), sock, java.time.Duration.ofMillis(500));
        RawClient c = new RawClient(sock, 30)) {
      c.read(18);
      long t0 = System.nanoTime();
      assertThrows(IOException.class, () -> c.read(1));
      assertTrue(System.nanoTime() - t0 < 10_000_000_000L);
    }
  }
}
