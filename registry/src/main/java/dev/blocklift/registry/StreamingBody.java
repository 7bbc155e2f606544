package dev.blocklift.registry;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A response body as an {@link InputStream} that never hangs: each read waits at most {@code
 * idleTimeout} for the next bytes, then cancels the exchange and fails. Demand is one buffer list
 * at a time, so memory stays bounded whatever the body's size.
 */
final class StreamingBody extends InputStream implements HttpResponse.BodySubscriber<InputStream> {
  private static final Object END = new Object();

  private record Failure(Throwable cause) {}

  private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
  private final Duration idleTimeout;
  private final String what;
  private volatile Flow.Subscription subscription;
  private List<ByteBuffer> current = List.of();
  private int index;
  private boolean ended;
  private volatile boolean closed;

  StreamingBody(Duration idleTimeout, String what) {
    this.idleTimeout = idleTimeout;
    this.what = what;
  }

  @Override
  public CompletionStage<InputStream> getBody() {
    return CompletableFuture.completedFuture(this);
  }

  @Override
  public void onSubscribe(Flow.Subscription s) {
    subscription = s;
    if (closed) {
      s.cancel();
    } else {
      s.request(1);
    }
  }

  @Override
  public void onNext(List<ByteBuffer> item) {
    queue.add(item);
  }

  @Override
  public void onError(Throwable throwable) {
    queue.add(new Failure(throwable));
  }

  @Override
  public void onComplete() {
    queue.add(END);
  }

  /** The current buffer with bytes left, or null at the end of the body. */
  private ByteBuffer buffer() throws IOException {
    while (true) {
      if (closed) {
        throw new IOException("stream closed: " + what);
      }
      while (index < current.size()) {
        ByteBuffer b = current.get(index);
        if (b.hasRemaining()) {
          return b;
        }
        index++;
      }
      if (ended) {
        return null;
      }
      Object next;
      try {
        next = queue.poll(idleTimeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        cancel();
        throw new java.io.InterruptedIOException("interrupted reading " + what);
      }
      if (next == null) {
        cancel();
        throw new HttpTimeoutException(
            "no data for " + idleTimeout.toSeconds() + " s while reading " + what);
      }
      if (next == END) {
        ended = true;
        current = List.of();
        index = 0;
        return null;
      }
      if (next instanceof Failure(Throwable cause)) {
        ended = true;
        throw cause instanceof IOException io
            ? new IOException(RegistryClient.describe(io) + " (reading " + what + ")", io)
            : new IOException("failed reading " + what + ": " + cause, cause);
      }
      @SuppressWarnings("unchecked")
      List<ByteBuffer> list = (List<ByteBuffer>) next;
      current = list;
      index = 0;
      subscription.request(1);
    }
  }

  @Override
  public int read() throws IOException {
    ByteBuffer b = buffer();
    return b == null ? -1 : b.get() & 0xff;
  }

  @Override
  public int read(byte[] dst, int off, int len) throws IOException {
    java.util.Objects.checkFromIndexSize(off, len, dst.length);
    if (len == 0) {
      return 0;
    }
    ByteBuffer b = buffer();
    if (b == null) {
      return -1;
    }
    int n = Math.min(len, b.remaining());
    b.get(dst, off, n);
    return n;
  }

  private void cancel() {
    Flow.Subscription s = subscription;
    if (s != null) {
      s.cancel();
    }
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      cancel();
      queue.clear();
    }
  }
}
