package dev.blocklift.nbd;

import static dev.blocklift.nbd.NbdProto.*;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Phaser;
import java.util.concurrent.Semaphore;

/**
 * One client: the fixed newstyle handshake, then the transmission phase. Every request after the
 * header (and a write's payload) runs on a virtual thread of its own, so a read waiting for a cold
 * chunk holds up no other request; at most {@link #MAX_IN_FLIGHT} requests and {@link
 * #MAX_IN_FLIGHT_BYTES} of payload are in flight, beyond that the reader waits (back-pressure).
 * Protocol violations throw {@link Garbage}, which closes this connection and nothing else.
 */
final class NbdConnection {
  private static final System.Logger LOG = System.getLogger(NbdConnection.class.getName());
  static final int MAX_IN_FLIGHT = 64;
  static final int MAX_IN_FLIGHT_BYTES = 64 << 20;
  private static final int ZERO_CHUNK = 1 << 20;
  private static final byte[] ZEROES = new byte[ZERO_CHUNK];

  /** The client broke the protocol: the connection is dropped. */
  static final class Garbage extends IOException {
    private static final long serialVersionUID = 1L;

    Garbage(String message) {
      super(message);
    }
  }

  /** A request refused with an NBD error (not a protocol violation). */
  private static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;
    final int error;

    Refused(int error, String message) {
      super(message);
      this.error = error;
    }
  }

  private final NbdExport export;
  private final Wire wire;
  private final NbdStats stats;
  private final Runnable transmitting;
  private boolean noZeroes;
  private boolean structured;
  private boolean allocationContext;
  private String metaExport;
  private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
  private final Semaphore inFlightBytes = new Semaphore(MAX_IN_FLIGHT_BYTES);
  private final Phaser running = new Phaser(1);

  /**
   * @param transmitting called once the handshake is done (the server cancels its handshake
   *     timeout)
   */
  NbdConnection(NbdExport export, Wire wire, NbdStats stats, Runnable transmitting) {
    this.export = export;
    this.wire = wire;
    this.stats = stats;
    this.transmitting = transmitting;
  }

  /** Serves the connection until the client leaves or breaks the protocol; then closes it. */
  void serve() {
    try (wire) {
      if (handshake()) {
        transmitting.run();
        transmission();
      }
    } catch (Garbage e) {
      stats.dropped.increment();
      LOG.log(System.Logger.Level.INFO, "NBD client dropped: " + e.getMessage());
    } catch (EOFException | ClosedChannelException e) {
      LOG.log(System.Logger.Level.DEBUG, "NBD client gone: " + e);
    } catch (IOException e) {
      LOG.log(System.Logger.Level.DEBUG, "NBD connection failed: " + e);
    } catch (RuntimeException e) {
      stats.dropped.increment();
      LOG.log(System.Logger.Level.WARNING, "NBD connection failed", e);
    } finally {
      // Requests still running answer into a closed channel and end.
      running.arriveAndDeregister();
    }
  }

  // ---------------------------------------------------------------- handshake

  /** True when the client chose the export; false when it aborted. */
  private boolean handshake() throws IOException {
    ByteBuffer hello = ByteBuffer.allocate(18);
    hello
        .putLong(NBDMAGIC)
        .putLong(IHAVEOPT)
        .putShort((short) (FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES));
    wire.write(hello.flip());
    int clientFlags = wire.read(4).getInt();
    if ((clientFlags & ~(CLIENT_FIXED_NEWSTYLE | CLIENT_NO_ZEROES)) != 0) {
      throw new Garbage("unknown client flags 0x" + Integer.toHexString(clientFlags));
    }
    noZeroes = (clientFlags & CLIENT_NO_ZEROES) != 0;
    for (int n = 0; n < MAX_OPTIONS; n++) {
      ByteBuffer head = wire.read(16);
      long magic = head.getLong();
      if (magic != IHAVEOPT) {
        throw new Garbage("bad option magic 0x" + Long.toHexString(magic));
      }
      int option = head.getInt();
      long length = Integer.toUnsignedLong(head.getInt());
      if (length > MAX_OPTION_DATA) {
        throw new Garbage("option " + option + " with " + length + " bytes of data");
      }
      ByteBuffer data = wire.read((int) length);
      switch (option) {
        case OPT_EXPORT_NAME -> {
          String name = string(data, data.remaining());
          if (!known(name)) {
            throw new Garbage("NBD_OPT_EXPORT_NAME of an unknown export \"" + name + "\"");
          }
          if (!name.equals(metaExport)) {
            allocationContext = false;
          }
          ByteBuffer b = ByteBuffer.allocate(noZeroes ? 10 : 134);
          b.putLong(export.size()).putShort((short) transmissionFlags());
          wire.write(b.position(b.capacity()).flip());
          return true;
        }
        case OPT_ABORT -> {
          reply(option, REP_ACK, ByteBuffer.allocate(0));
          return false;
        }
        case OPT_LIST -> {
          if (length != 0) {
            error(option, REP_ERR_INVALID, "NBD_OPT_LIST takes no data");
          } else {
            byte[] name = export.name().getBytes(StandardCharsets.UTF_8);
            byte[] desc = export.description().getBytes(StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.allocate(4 + name.length + desc.length);
            reply(option, REP_SERVER, b.putInt(name.length).put(name).put(desc).flip());
            reply(option, REP_ACK, ByteBuffer.allocate(0));
          }
        }
        case OPT_STRUCTURED_REPLY -> {
          if (length != 0) {
            error(option, REP_ERR_INVALID, "NBD_OPT_STRUCTURED_REPLY takes no data");
          } else {
            structured = true;
            reply(option, REP_ACK, ByteBuffer.allocate(0));
          }
        }
        case OPT_INFO, OPT_GO -> {
          if (info(option, data) && option == OPT_GO) {
            return true;
          }
        }
        case OPT_LIST_META_CONTEXT, OPT_SET_META_CONTEXT -> metaContext(option, data);
        default -> error(option, REP_ERR_UNSUP, "option " + option + " is not supported");
      }
    }
    throw new Garbage("more than " + MAX_OPTIONS + " options");
  }

  private boolean known(String name) {
    return name.isEmpty() || name.equals(export.name());
  }

  private int transmissionFlags() {
    int f =
        TF_HAS_FLAGS
            | TF_SEND_FLUSH
            | TF_SEND_FUA
            | TF_SEND_WRITE_ZEROES
            | TF_SEND_TRIM
            | TF_SEND_CACHE
            | TF_CAN_MULTI_CONN;
    return export.readOnly() ? f | TF_READ_ONLY : f;
  }

  /** NBD_OPT_INFO / NBD_OPT_GO; true when it succeeded. */
  private boolean info(int option, ByteBuffer data) throws IOException {
    if (data.remaining() < 6) {
      return error(option, REP_ERR_INVALID, "the option's data is too short");
    }
    long nameLength = Integer.toUnsignedLong(data.getInt());
    if (nameLength > data.remaining() - 2) {
      return error(option, REP_ERR_INVALID, "the export name overruns the option");
    }
    String name = string(data, (int) nameLength);
    if (name == null) {
      return error(option, REP_ERR_INVALID, "the export name is not UTF-8");
    }
    int requests = Short.toUnsignedInt(data.getShort());
    if (data.remaining() != 2 * requests) {
      return error(option, REP_ERR_INVALID, "the information requests do not match their count");
    }
    boolean wantName = false;
    boolean wantDescription = false;
    for (int i = 0; i < requests; i++) {
      int r = Short.toUnsignedInt(data.getShort());
      wantName |= r == INFO_NAME;
      wantDescription |= r == INFO_DESCRIPTION;
    }
    if (!known(name)) {
      return error(option, REP_ERR_UNKNOWN, "no export \"" + name + "\" here");
    }
    ByteBuffer ex = ByteBuffer.allocate(12);
    ex.putShort((short) INFO_EXPORT).putLong(export.size()).putShort((short) transmissionFlags());
    reply(option, REP_INFO, ex.flip());
    ByteBuffer bs = ByteBuffer.allocate(14);
    bs.putShort((short) INFO_BLOCK_SIZE).putInt(MIN_BLOCK).putInt(PREFERRED_BLOCK);
    reply(option, REP_INFO, bs.putInt(MAX_PAYLOAD).flip());
    if (wantName) {
      reply(option, REP_INFO, infoString(INFO_NAME, export.name()));
    }
    if (wantDescription && !export.description().isEmpty()) {
      reply(option, REP_INFO, infoString(INFO_DESCRIPTION, export.description()));
    }
    if (option == OPT_GO && !name.equals(metaExport)) {
      allocationContext = false;
    }
    reply(option, REP_ACK, ByteBuffer.allocate(0));
    return true;
  }

  private static ByteBuffer infoString(int type, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    b = Arrays.copyOf(b, Math.min(b.length, 4096));
    return ByteBuffer.allocate(2 + b.length).putShort((short) type).put(b).flip();
  }

  /** NBD_OPT_LIST_META_CONTEXT and NBD_OPT_SET_META_CONTEXT: only {@code base:allocation}. */
  private void metaContext(int option, ByteBuffer data) throws IOException {
    boolean set = option == OPT_SET_META_CONTEXT;
    if (set) {
      allocationContext = false; // replaced even when this fails
      metaExport = null;
    }
    if (!structured) {
      error(option, REP_ERR_INVALID, "negotiate structured replies first");
      return;
    }
    if (data.remaining() < 8) {
      error(option, REP_ERR_INVALID, "the option's data is too short");
      return;
    }
    long nameLength = Integer.toUnsignedLong(data.getInt());
    if (nameLength > data.remaining() - 4) {
      error(option, REP_ERR_INVALID, "the export name overruns the option");
      return;
    }
    String name = string(data, (int) nameLength);
    long queries = Integer.toUnsignedLong(data.getInt());
    boolean match = queries == 0 && !set;
    for (long q = 0; q < queries; q++) {
      if (data.remaining() < 4) {
        error(option, REP_ERR_INVALID, "a query overruns the option");
        return;
      }
      long ql = Integer.toUnsignedLong(data.getInt());
      if (ql > data.remaining()) {
        error(option, REP_ERR_INVALID, "a query overruns the option");
        return;
      }
      String query = string(data, (int) ql);
      if (query == null || query.indexOf(':') <= 0) {
        error(option, REP_ERR_INVALID, "a query is not NAMESPACE:LEAF");
        return;
      }
      match |= query.equals(BASE_ALLOCATION) || (!set && query.equals("base:"));
    }
    if (data.hasRemaining()) {
      error(option, REP_ERR_INVALID, "trailing bytes after the queries");
      return;
    }
    if (name == null || !known(name)) {
      error(option, REP_ERR_UNKNOWN, "no export \"" + name + "\" here");
      return;
    }
    if (match) {
      byte[] ctx = BASE_ALLOCATION.getBytes(StandardCharsets.US_ASCII);
      ByteBuffer b = ByteBuffer.allocate(4 + ctx.length).putInt(set ? 1 : 0).put(ctx).flip();
      reply(option, REP_META_CONTEXT, b);
      if (set) {
        allocationContext = true;
        metaExport = name;
      }
    }
    reply(option, REP_ACK, ByteBuffer.allocate(0));
  }

  /** A UTF-8 string of {@code n} bytes at the buffer's position, or null if it is not UTF-8. */
  private static String string(ByteBuffer data, int n) {
    ByteBuffer slice = data.slice(data.position(), n);
    data.position(data.position() + n);
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(slice)
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  private void reply(int option, int type, ByteBuffer data) throws IOException {
    ByteBuffer h = ByteBuffer.allocate(20);
    h.putLong(REPLY_MAGIC).putInt(option).putInt(type).putInt(data.remaining());
    wire.write(h.flip(), data);
  }

  private boolean error(int option, int type, String message) throws IOException {
    reply(option, type, ByteBuffer.wrap(message.getBytes(StandardCharsets.UTF_8)));
    return false;
  }

  // ---------------------------------------------------------------- transmission

  /** One request as read: the header's fields and a write's payload. */
  private static final class Request {
    final int flags;
    final int type;
    final long cookie;
    final long offset;
    final long length;
    final byte[] data;

    Request(int flags, int type, long cookie, long offset, long length, byte[] data) {
      this.flags = flags;
      this.type = type;
      this.cookie = cookie;
      this.offset = offset;
      this.length = length;
      this.data = data;
    }
  }

  private void transmission() throws IOException {
    while (true) {
      ByteBuffer h = wire.read(REQUEST_HEADER);
      int magic = h.getInt();
      if (magic != REQUEST_MAGIC) {
        throw new Garbage("bad request magic 0x" + Integer.toHexString(magic));
      }
      int flags = Short.toUnsignedInt(h.getShort());
      int type = Short.toUnsignedInt(h.getShort());
      long cookie = h.getLong();
      long offset = h.getLong();
      long length = Integer.toUnsignedLong(h.getInt());
      if (type == CMD_DISC) {
        running.arriveAndAwaitAdvance(); // "handle all outstanding requests", then close
        return;
      }
      boolean payload = type == CMD_WRITE || type == CMD_READ;
      if (payload && length > MAX_PAYLOAD) {
        throw new Garbage("a request of " + length + " bytes (at most " + MAX_PAYLOAD + ")");
      }
      int permits = payload ? Math.max(1, (int) length) : 1;
      acquire(permits);
      byte[] data = null;
      if (type == CMD_WRITE) {
        try {
          data = new byte[(int) length];
          wire.readFully(ByteBuffer.wrap(data));
        } catch (IOException | RuntimeException e) {
          release(permits);
          throw e;
        }
      }
      Request r = new Request(flags, type, cookie, offset, length, data);
      stats.requests.increment();
      running.register();
      Thread.ofVirtual()
          .name("nbd-request")
          .start(
              () -> {
                try {
                  handle(r);
                } finally {
                  release(permits);
                  running.arriveAndDeregister();
                }
              });
    }
  }

  private void acquire(int bytes) throws IOException {
    try {
      inFlight.acquire();
      inFlightBytes.acquire(bytes);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  private void release(int bytes) {
    inFlightBytes.release(bytes);
    inFlight.release();
  }

  private void handle(Request r) {
    try {
      try {
        dispatch(r);
      } catch (Refused e) {
        stats.errors.increment();
        sendError(r, e.error, e.getMessage());
      } catch (IOException e) {
        stats.errors.increment();
        LOG.log(System.Logger.Level.WARNING, "NBD request failed: " + e.getMessage());
        sendError(r, EIO, String.valueOf(e.getMessage()));
      } catch (RuntimeException e) {
        stats.errors.increment();
        LOG.log(System.Logger.Level.ERROR, "NBD request failed", e);
        sendError(r, EIO, String.valueOf(e.getMessage()));
      }
    } catch (IOException e) {
      // The reply could not be sent: the connection is going.
      LOG.log(System.Logger.Level.DEBUG, "NBD reply not sent: " + e);
    }
  }

  private void dispatch(Request r) throws Refused, IOException {
    switch (r.type) {
      case CMD_READ -> {
        allowed(r, CMD_FLAG_FUA);
        inRange(r, EINVAL);
        read(r);
      }
      case CMD_WRITE -> {
        allowed(r, CMD_FLAG_FUA);
        writable();
        inRange(r, ENOSPC);
        export.device().write(r.offset, r.data, 0, r.data.length);
        stats.bytesWritten.add(r.data.length);
        if ((r.flags & CMD_FLAG_FUA) != 0) {
          export.device().flush();
        }
        ok(r);
      }
      case CMD_WRITE_ZEROES -> {
        allowed(r, CMD_FLAG_FUA | CMD_FLAG_NO_HOLE);
        writable();
        inRange(r, ENOSPC);
        long pos = r.offset;
        long end = r.offset + r.length;
        while (pos < end) {
          int n = (int) Math.min(ZERO_CHUNK, end - pos);
          export.device().write(pos, ZEROES, 0, n);
          pos += n;
        }
        if ((r.flags & CMD_FLAG_FUA) != 0) {
          export.device().flush();
        }
        ok(r);
      }
      case CMD_TRIM -> {
        // A hint: the overlay keeps what it has (reads stay as they were, which TRIM allows).
        allowed(r, CMD_FLAG_FUA);
        writable();
        inRange(r, EINVAL);
        ok(r);
      }
      case CMD_FLUSH -> {
        allowed(r, CMD_FLAG_FUA);
        export.device().flush();
        ok(r);
      }
      case CMD_CACHE -> {
        allowed(r, 0);
        inRange(r, EINVAL);
        export.cache(r.offset, r.length);
        ok(r);
      }
      case CMD_BLOCK_STATUS -> {
        allowed(r, CMD_FLAG_REQ_ONE);
        if (!structured || !allocationContext) {
          throw new Refused(EINVAL, "no metadata context was negotiated");
        }
        inRange(r, EINVAL);
        if (r.length == 0) {
          throw new Refused(EINVAL, "a block status of no bytes");
        }
        blockStatus(r);
      }
      default -> throw new Refused(EINVAL, "unknown command " + r.type);
    }
  }

  private static void allowed(Request r, int flags) throws Refused {
    if ((r.flags & ~flags) != 0) {
      throw new Refused(EINVAL, "command flags 0x" + Integer.toHexString(r.flags) + " not allowed");
    }
  }

  private void writable() throws Refused {
    if (export.readOnly()) {
      throw new Refused(EPERM, "the export is read-only");
    }
  }

  private void inRange(Request r, int error) throws Refused {
    if (r.offset < 0 || r.offset > export.size() - r.length) {
      throw new Refused(
          error,
          "["
              + Long.toUnsignedString(r.offset)
              + ", +"
              + r.length
              + ") is outside the export of "
              + export.size()
              + " bytes");
    }
  }

  private void read(Request r) throws IOException {
    int n = (int) r.length;
    byte[] buf = new byte[n];
    export.device().read(r.offset, buf, 0, n);
    stats.bytesRead.add(n);
    if (!structured) {
      wire.write(simpleHeader(r, 0), ByteBuffer.wrap(buf));
      return;
    }
    if (n == 0) {
      wire.write(structuredHeader(r, REPLY_FLAG_DONE, REPLY_TYPE_NONE, 0));
      return;
    }
    // Holes of the image go back as NBD_REPLY_TYPE_OFFSET_HOLE, the rest as data.
    List<long[]> runs = export.extents(r.offset, n, Integer.MAX_VALUE);
    ByteBuffer[] out = new ByteBuffer[runs.size() * 2];
    long pos = r.offset;
    for (int i = 0; i < runs.size(); i++) {
      long len = runs.get(i)[0];
      boolean hole = (runs.get(i)[1] & STATE_ZERO) != 0;
      int flags = i == runs.size() - 1 ? REPLY_FLAG_DONE : 0;
      int within = (int) (pos - r.offset);
      if (hole) {
        ByteBuffer h = structuredHeader(r, flags, REPLY_TYPE_OFFSET_HOLE, 12);
        out[2 * i] = h;
        out[2 * i + 1] = ByteBuffer.allocate(12).putLong(pos).putInt((int) len).flip();
      } else {
        ByteBuffer h = structuredHeader(r, flags, REPLY_TYPE_OFFSET_DATA, 8 + len);
        out[2 * i] = ByteBuffer.allocate(h.remaining() + 8).put(h).putLong(pos).flip();
        out[2 * i + 1] = ByteBuffer.wrap(buf, within, (int) len);
      }
      pos += len;
    }
    wire.write(out);
  }

  private void blockStatus(Request r) throws IOException {
    boolean one = (r.flags & CMD_FLAG_REQ_ONE) != 0;
    List<long[]> runs = export.extents(r.offset, r.length, one ? 1 : MAX_EXTENTS);
    ByteBuffer b = ByteBuffer.allocate(4 + 8 * runs.size()).putInt(1);
    for (long[] run : runs) {
      b.putInt((int) run[0]).putInt((int) run[1]);
    }
    b.flip();
    wire.write(structuredHeader(r, REPLY_FLAG_DONE, REPLY_TYPE_BLOCK_STATUS, b.remaining()), b);
  }

  private void ok(Request r) throws IOException {
    wire.write(simpleHeader(r, 0));
  }

  private void sendError(Request r, int error, String message) throws IOException {
    if (!structured) {
      wire.write(simpleHeader(r, error));
      return;
    }
    byte[] m = message.getBytes(StandardCharsets.UTF_8);
    m = Arrays.copyOf(m, Math.min(m.length, 4096));
    ByteBuffer p = ByteBuffer.allocate(6 + m.length).putInt(error).putShort((short) m.length);
    p.put(m).flip();
    wire.write(structuredHeader(r, REPLY_FLAG_DONE, REPLY_TYPE_ERROR, p.remaining()), p);
  }

  private static ByteBuffer simpleHeader(Request r, int error) {
    return ByteBuffer.allocate(16)
        .putInt(SIMPLE_REPLY_MAGIC)
        .putInt(error)
        .putLong(r.cookie)
        .flip();
  }

  private static ByteBuffer structuredHeader(Request r, int flags, int type, long length) {
    return ByteBuffer.allocate(20)
        .putInt(STRUCTURED_REPLY_MAGIC)
        .putShort((short) flags)
        .putShort((short) type)
        .putLong(r.cookie)
        .putInt((int) length)
        .flip();
  }
}
