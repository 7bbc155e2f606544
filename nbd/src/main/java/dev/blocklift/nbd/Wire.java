package dev.blocklift.nbd;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One connection's bytes: blocking reads of exact lengths, and whole messages written under one
 * lock (replies to concurrent requests never interleave). Reads and writes go straight to the
 * channel, which reads and writes concurrently (the JDK's stream adapters would serialise them).
 */
final class Wire implements AutoCloseable {
  private final SocketChannel channel;
  private final ReentrantLock writing = new ReentrantLock();

  Wire(SocketChannel channel) {
    this.channel = channel;
  }

  /** Fills {@code buf} from the peer; EOF before it is full is an {@link EOFException}. */
  void readFully(ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) {
      if (channel.read(buf) < 0) {
        throw new EOFException("the peer closed the connection");
      }
    }
    buf.flip();
  }

  ByteBuffer read(int n) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(n);
    readFully(b);
    return b;
  }

  /** Writes the buffers as one message. */
  void write(ByteBuffer... bufs) throws IOException {
    writing.lock();
    try {
      long left = 0;
      for (ByteBuffer b : bufs) {
        left += b.remaining();
      }
      while (left > 0) {
        left -= channel.write(bufs);
      }
    } finally {
      writing.unlock();
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
