package dev.blocklift.agent;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The request loop on one /dev/fuse fd: a few platform threads wait in poll(2)/read(2), each
 * holding a free journal slot to read into; every request read is handed to a virtual thread that
 * runs it against {@link DeviceFs} (a device read may wait on the network) and writes the answer.
 * At most as many requests are in flight as there are slots; when none is free the readers wait,
 * and the kernel queues. The fd is non-blocking and polled together with an eventfd, so {@link
 * #stop} can wake every reader without a request arriving.
 */
final class FuseSession {
  private static final System.Logger LOG = System.getLogger(FuseSession.class.getName());

  private final int fd;
  private final DeviceFs fs;
  private final FuseJournal journal;
  private final int readerCount;
  private final LinkedBlockingQueue<FuseJournal.Slot> free = new LinkedBlockingQueue<>();
  private final List<Thread> readers = new ArrayList<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition released = lock.newCondition();
  private final int wake;
  private volatile boolean stopping;
  private volatile boolean ended;

  FuseSession(int fd, DeviceFs fs, FuseJournal journal, int readerCount) {
    if (readerCount < 1 || readerCount >= journal.slots().size()) {
      throw new IllegalArgumentException(
          readerCount + " readers for " + journal.slots().size() + " slots");
    }
    this.fd = fd;
    this.fs = fs;
    this.journal = journal;
    this.readerCount = readerCount;
    Libc.Result fl = Libc.fcntl(fd, Libc.F_GETFL, 0);
    if (fl.failed() || Libc.fcntl(fd, Libc.F_SETFL, (int) fl.value() | Libc.O_NONBLOCK).failed()) {
      throw new IllegalStateException("fcntl O_NONBLOCK on fd " + fd + ": errno " + fl.errno());
    }
    Libc.Result ev = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
    if (ev.failed()) {
      throw new IllegalStateException("eventfd failed: errno " + ev.errno());
    }
    this.wake = (int) ev.value();
  }

  /**
   * Answers every request a dead predecessor left in the journal (each on a virtual thread), then
   * starts reading new ones.
   */
  void start(boolean replay) {
    List<FuseJournal.Slot> pending = replay ? journal.pending() : List.of();
    for (FuseJournal.Slot s : journal.slots()) {
      if (!pending.contains(s)) {
        s.clear();
        free.add(s);
      }
    }
    for (FuseJournal.Slot s : pending) {
      LOG.log(System.Logger.Level.INFO, "FUSE: replaying request " + s.unique() + " from journal");
      int len = s.pendingLength();
      Thread.ofVirtual().name("fuse-replay-" + s.unique()).start(() -> process(s, len));
    }
    for (int i = 0; i < readerCount; i++) {
      Thread t =
          Thread.ofPlatform().daemon().name("fuse-reader-" + fd + "-" + i).start(this::readLoop);
      readers.add(t);
    }
  }

  /** Whether the kernel ended the connection (unmounted or aborted). */
  boolean ended() {
    return ended;
  }

  private void readLoop() {
    short[] revents = new short[2];
    while (!stopping && !ended) {
      FuseJournal.Slot slot;
      try {
        slot = free.take();
      } catch (InterruptedException e) {
        return;
      }
      slot.clear();
      int n = readInto(slot, revents);
      if (n < 0) {
        release(slot);
        return;
      }
      Thread.ofVirtual().name("fuse-req").start(() -> process(slot, n));
    }
  }

  /** Reads one request into {@code slot}; -1 when stopping or the connection ended. */
  private int readInto(FuseJournal.Slot slot, short[] revents) {
    while (true) {
      Libc.Result r = Libc.read(fd, slot.request, slot.request.byteSize());
      if (!r.failed()) {
        return (int) r.value();
      }
      switch (r.errno()) {
        case Libc.EAGAIN -> {
          if (stopping) {
            return -1;
          }
          Libc.Result p = Libc.poll2(fd, wake, -1, revents);
          if (p.failed() && p.errno() != Libc.EINTR) {
            LOG.log(System.Logger.Level.ERROR, "FUSE poll failed: errno " + p.errno());
            return -1;
          }
          if (stopping) {
            return -1;
          }
        }
        case Libc.EINTR, Libc.ENOENT -> {
          // interrupted, or a request the kernel dropped while we read it: read again
        }
        case Libc.ENODEV, Libc.ECONNABORTED -> {
          ended = true;
          return -1;
        }
        default -> {
          LOG.log(System.Logger.Level.ERROR, "FUSE read failed: errno " + r.errno());
          ended = true;
          return -1;
        }
      }
    }
  }

  private void process(FuseJournal.Slot slot, int length) {
    try {
      if (fs.handle(slot.request, length, slot.reply, slot)) {
        send(slot.reply);
      }
    } catch (Throwable t) {
      LOG.log(System.Logger.Level.ERROR, "FUSE request failed: " + t, t);
    } finally {
      release(slot);
    }
  }

  private void send(FuseReply reply) {
    while (true) {
      MemorySegment out = reply.segment();
      Libc.Result r = Libc.write(fd, out, out.byteSize());
      if (!r.failed()) {
        return;
      }
      switch (r.errno()) {
        case Libc.EINTR -> {}
        case Libc.ENOENT -> {
          return; // the request was interrupted or answered before a takeover: harmless
        }
        case Libc.ENODEV, Libc.ECONNABORTED, Libc.EBADF -> {
          ended = true;
          return;
        }
        default -> {
          LOG.log(System.Logger.Level.ERROR, "FUSE reply failed: errno " + r.errno());
          return;
        }
      }
    }
  }

  private void release(FuseJournal.Slot slot) {
    slot.clear();
    lock.lock();
    try {
      free.add(slot);
      released.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Stops reading new requests and waits up to {@code wait} for those in flight to be answered.
   * Returns whether all were (the rest stay in the journal for a successor).
   */
  boolean stop(Duration wait) throws InterruptedException {
    stopping = true;
    try (Arena a = Arena.ofConfined()) {
      MemorySegment one = a.allocate(8);
      FuseProto.put64(one, 0, 1);
      Libc.write(wake, one, 8);
    }
    long deadline = System.nanoTime() + wait.toNanos();
    for (Thread t : readers) {
      t.interrupt();
      long left = deadline - System.nanoTime();
      if (!t.join(Duration.ofNanos(Math.max(1, left)))) {
        LOG.log(System.Logger.Level.WARNING, "FUSE reader " + t.getName() + " did not stop");
      }
    }
    lock.lock();
    try {
      while (free.size() < journal.slots().size()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        released.awaitNanos(left);
      }
    } finally {
      lock.unlock();
    }
    Libc.close(wake);
    return true;
  }

  /** Requests read but not yet answered. */
  int inFlight() {
    return journal.slots().size() - free.size();
  }

  static long millis(Duration d) {
    return TimeUnit.NANOSECONDS.toMillis(d.toNanos());
  }
}
