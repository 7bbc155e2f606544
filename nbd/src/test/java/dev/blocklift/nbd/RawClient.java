package dev.blocklift.nbd;

import static dev.blocklift.nbd.NbdProto.*;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A test client speaking raw NBD, every wait bounded: the connection is closed by a watchdog after
 * {@code deadlineSeconds}, so a server that never answers fails the read instead of hanging.
 */
final class RawClient implements AutoCloseable {
  private static final ScheduledExecutorService WATCHDOG =
      Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().factory());

  final SocketChannel ch;

  RawClient(Path socket, int deadlineSeconds) throws IOException {
    ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    ch.connect(UnixDomainSocketAddress.of(socket));
    var unused = WATCHDOG.schedule(this::closeQuietly, deadlineSeconds, TimeUnit.SECONDS);
  }

  @SuppressWarnings("ArrayRecordComponent") // test data, never compared
  record OptReply(int option, int type, byte[] data) {
    ByteBuffer buf() {
      return ByteBuffer.wrap(data);
    }
  }

  @SuppressWarnings("ArrayRecordComponent") // test data, never compared
  record Chunk(int flags, int type, long cookie, byte[] payload) {
    ByteBuffer buf() {
      return ByteBuffer.wrap(payload);
    }
  }

  ByteBuffer read(int n) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(n);
    while (b.hasRemaining()) {
      if (ch.read(b) < 0) {
        throw new EOFException("server closed after " + b.position() + " of " + n + " bytes");
      }
    }
    return b.flip();
  }

  void send(ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  void send(byte[] b) throws IOException {
    send(ByteBuffer.wrap(b));
  }

  /** Reads the greeting (checking it) and answers with {@code clientFlags}; answers the flags. */
  int hello(int clientFlags) throws IOException {
    ByteBuffer g = read(18);
    if (g.getLong() != NBDMAGIC || g.getLong() != IHAVEOPT) {
      throw new IOException("bad greeting");
    }
    int flags = Short.toUnsignedInt(g.getShort());
    send(ByteBuffer.allocate(4).putInt(clientFlags).flip());
    return flags;
  }

  static byte[] option(int option, byte[] data) {
    return ByteBuffer.allocate(16 + data.length)
        .putLong(IHAVEOPT)
        .putInt(option)
        .putInt(data.length)
        .put(data)
        .array();
  }

  OptReply reply() throws IOException {
    ByteBuffer h = read(20);
    if (h.getLong() != REPLY_MAGIC) {
      throw new IOException("bad option reply magic");
    }
    int opt = h.getInt();
    int type = h.getInt();
    int len = h.getInt();
    return new OptReply(opt, type, read(len).array());
  }

  /** Replies to the last option up to and including the final one (ACK or an error). */
  List<OptReply> replies() throws IOException {
    List<OptReply> out = new ArrayList<>();
    while (true) {
      OptReply r = reply();
      out.add(r);
      if (r.type() == REP_ACK || r.type() < 0) {
        return out;
      }
    }
  }

  static byte[] goData(String name, int... infos) {
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(4 + n.length + 2 + 2 * infos.length);
    b.putInt(n.length).put(n).putShort((short) infos.length);
    for (int i : infos) {
      b.putShort((short) i);
    }
    return b.array();
  }

  static byte[] metaData(String name, String... queries) {
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    int len = 8 + n.length;
    for (String q : queries) {
      len += 4 + q.getBytes(StandardCharsets.UTF_8).length;
    }
    ByteBuffer b = ByteBuffer.allocate(len).putInt(n.length).put(n).putInt(queries.length);
    for (String q : queries) {
      byte[] qb = q.getBytes(StandardCharsets.UTF_8);
      b.putInt(qb.length).put(qb);
    }
    return b.array();
  }

  /**
   * The usual libnbd negotiation: fixed newstyle without zeroes, structured replies and
   * base:allocation when asked, then GO; answers the NBD_INFO_EXPORT (size, flags).
   */
  long[] go(boolean structured) throws IOException {
    hello(CLIENT_FIXED_NEWSTYLE | CLIENT_NO_ZEROES);
    if (structured) {
      send(option(OPT_STRUCTURED_REPLY, new byte[0]));
      expectAck(replies());
      send(option(OPT_SET_META_CONTEXT, metaData("", BASE_ALLOCATION)));
      expectAck(replies());
    }
    send(option(OPT_GO, goData("", INFO_BLOCK_SIZE)));
    long[] export = null;
    for (OptReply r : replies()) {
      if (r.type() == REP_INFO && r.buf().getShort() == INFO_EXPORT) {
        ByteBuffer b = r.buf().position(2);
        export = new long[] {b.getLong(), Short.toUnsignedInt(b.getShort())};
      } else if (r.type() < 0) {
        throw new IOException("GO failed: " + new String(r.data(), StandardCharsets.UTF_8));
      }
    }
    if (export == null) {
      throw new IOException("no NBD_INFO_EXPORT");
    }
    return export;
  }

  private static void expectAck(List<OptReply> rs) throws IOException {
    if (rs.getLast().type() != REP_ACK) {
      throw new IOException("option refused: " + rs.getLast().type());
    }
  }

  static byte[] request(int flags, int type, long cookie, long offset, long length) {
    return ByteBuffer.allocate(REQUEST_HEADER)
        .putInt(REQUEST_MAGIC)
        .putShort((short) flags)
        .putShort((short) type)
        .putLong(cookie)
        .putLong(offset)
        .putInt((int) length)
        .array();
  }

  void request(int flags, int type, long cookie, long offset, long length, byte[] data)
      throws IOException {
    send(request(flags, type, cookie, offset, length));
    if (data != null) {
      send(data);
    }
  }

  /** A simple reply: {error, cookie}. */
  long[] simple() throws IOException {
    ByteBuffer h = read(16);
    if (h.getInt() != SIMPLE_REPLY_MAGIC) {
      throw new IOException("not a simple reply");
    }
    return new long[] {h.getInt(), h.getLong()};
  }

  Chunk chunk() throws IOException {
    ByteBuffer h = read(4);
    int magic = h.getInt();
    if (magic == SIMPLE_REPLY_MAGIC) {
      ByteBuffer rest = read(12);
      int error = rest.getInt();
      return new Chunk(
          REPLY_FLAG_DONE, -1, rest.getLong(), ByteBuffer.allocate(4).putInt(error).array());
    }
    if (magic != STRUCTURED_REPLY_MAGIC) {
      throw new IOException("not a reply: 0x" + Integer.toHexString(magic));
    }
    ByteBuffer r = read(16);
    int flags = Short.toUnsignedInt(r.getShort());
    int type = Short.toUnsignedInt(r.getShort());
    long cookie = r.getLong();
    int len = r.getInt();
    return new Chunk(flags, type, cookie, read(len).array());
  }

  /** All chunks of one structured reply. */
  List<Chunk> structured() throws IOException {
    List<Chunk> out = new ArrayList<>();
    while (true) {
      Chunk c = chunk();
      out.add(c);
      if ((c.flags() & REPLY_FLAG_DONE) != 0) {
        return out;
      }
    }
  }

  /** Reassembles a structured read of {@code length} bytes at {@code offset}; or throws. */
  static byte[] assemble(List<Chunk> chunks, long offset, int length) throws IOException {
    byte[] out = new byte[length];
    for (Chunk c : chunks) {
      ByteBuffer b = c.buf();
      switch (c.type()) {
        case REPLY_TYPE_OFFSET_DATA -> {
          long at = b.getLong();
          b.get(out, (int) (at - offset), b.remaining());
        }
        case REPLY_TYPE_OFFSET_HOLE -> {
          b.getLong();
          b.getInt(); // zeroes: already zero
        }
        case REPLY_TYPE_NONE -> {}
        default -> throw new IOException("error chunk " + c.type() + " error " + b.getInt());
      }
    }
    return out;
  }

  void closeQuietly() {
    try {
      ch.close();
    } catch (IOException e) {
      // closing
    }
  }

  @Override
  public void close() {
    closeQuietly();
  }
}
