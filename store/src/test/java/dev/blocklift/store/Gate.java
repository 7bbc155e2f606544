package dev.blocklift.store;

import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * Where a test holds threads until it lets them go: while the gate is closed, {@link #pass} blocks
 * until {@link #open}. A test waits for the threads it expects to be held ({@link #awaitHeld}) and
 * for the ones it expects to be interrupted ({@link #awaitInterrupts}), so an interleaving is made
 * deterministic without sleeping. Every wait of the test's own is bounded.
 */
public final class Gate {
  private boolean open;
  private long generation;
  private int held;
  private int arrivals;
  private int interrupts;

  private Gate(boolean open) {
    this.open = open;
  }

  /** A gate that holds every thread that passes until {@link #open} is called. */
  public static Gate closed() {
    return new Gate(false);
  }

  /** A gate that lets everyone through (until {@link #close}). */
  public static Gate opened() {
    return new Gate(true);
  }

  /**
   * Returns at once if the gate is open, else blocks until it is opened.
   *
   * @param what what is held, for the message of an interrupt
   * @throws InterruptedIOException if the thread is interrupted while held (counted; the thread's
   *     interrupt status is kept)
   */
  public synchronized void pass(String what) throws InterruptedIOException {
    if (open) {
      return;
    }
    long mine = generation;
    arrivals++;
    held++;
    notifyAll();
    try {
      while (generation == mine) {
        wait();
      }
    } catch (InterruptedException e) {
      interrupts++;
      notifyAll();
      Thread.currentThread().interrupt();
      InterruptedIOException io = new InterruptedIOException("interrupted at the gate: " + what);
      io.initCause(e);
      throw io;
    } finally {
      held--;
    }
  }

  /** Lets every held thread go, and later ones through. */
  public synchronized void open() {
    open = true;
    generation++;
    notifyAll();
  }

  /** Holds later threads again (threads let go by {@link #open} stay let go). */
  public synchronized void close() {
    open = false;
  }

  /** Threads held now. */
  public synchronized int held() {
    return held;
  }

  /** Threads that ever reached the gate while it was closed. */
  public synchronized int arrivals() {
    return arrivals;
  }

  /** Held threads that were interrupted. */
  public synchronized int interrupts() {
    return interrupts;
  }

  /**
   * Waits until at least {@code n} threads are held at once.
   *
   * @throws AssertionError if fewer are held when {@code timeout} is up
   */
  public void awaitHeld(int n, Duration timeout) throws InterruptedException {
    await(this::held, n, timeout, "threads held at the gate");
  }

  /**
   * Waits until at least {@code n} held threads have been interrupted.
   *
   * @throws AssertionError if fewer were when {@code timeout} is up
   */
  public void awaitInterrupts(int n, Duration timeout) throws InterruptedException {
    await(this::interrupts, n, timeout, "held threads interrupted");
  }

  private synchronized void await(IntSupplier count, int n, Duration timeout, String what)
      throws InterruptedException {
    if (n < 0) {
      throw new IllegalArgumentException("cannot wait for a negative count of " + what + ": " + n);
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (count.getAsInt() < n) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError(
            "only " + count.getAsInt() + " of " + n + " " + what + " within " + timeout);
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
  }
}
