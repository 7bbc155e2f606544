package dev.blocklift.fleet.placement;

import dev.blocklift.core.BlockliftException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The fleet's membership read from a text file, one {@code host:port} per line ({@code #} starts a
 * comment). {@link #current()} is always a complete, valid snapshot: {@link #reload()} (call it on
 * SIGHUP or from an admin endpoint) or the optional poll swaps in a new one only if the file
 * parses; a broken file keeps the last good membership and is reported by {@link #lastError()}.
 */
public final class Membership implements Supplier<Rendezvous>, AutoCloseable {
  private final Path file;
  private volatile Rendezvous current;
  private volatile String lastContent;
  private volatile String lastError;
  private final AtomicLong reloads = new AtomicLong();
  private ScheduledFuture<?> poll;

  private Membership(Path file, Rendezvous initial, String content) {
    this.file = file;
    this.current = initial;
    this.lastContent = content;
  }

  /** A fixed membership (no file). */
  public static Membership fixed(List<NodeAddress> nodes) {
    return new Membership(null, new Rendezvous(nodes), null);
  }

  /** Loads the file; fails with a message naming the file and the bad line if it is invalid. */
  public static Membership load(Path file) {
    String content = read(file);
    return new Membership(file, new Rendezvous(parse(content, file.toString())), content);
  }

  public static List<NodeAddress> parse(String content, String where) {
    List<NodeAddress> nodes = new ArrayList<>();
    int lineNo = 0;
    for (String line : content.split("\n", -1)) {
      lineNo++;
      int hash = line.indexOf('#');
      String t = (hash >= 0 ? line.substring(0, hash) : line).strip();
      if (t.isEmpty()) {
        continue;
      }
      try {
        nodes.add(NodeAddress.parse(t));
      } catch (IllegalArgumentException e) {
        throw new BlockliftException(where + " line " + lineNo + ": " + e.getMessage(), e);
      }
    }
    if (nodes.isEmpty()) {
      throw new BlockliftException(where + " lists no cache nodes (expected host:port lines)");
    }
    return nodes;
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new BlockliftException("fleet membership file " + file + " does not exist", e);
    } catch (IOException e) {
      throw new BlockliftException("cannot read fleet membership file " + file + ": " + e, e);
    }
  }

  @Override
  public Rendezvous get() {
    return current;
  }

  public Rendezvous current() {
    return current;
  }

  /** Replaces the membership directly (tests, programmatic fleets). */
  public void set(List<NodeAddress> nodes) {
    current = new Rendezvous(nodes);
    reloads.incrementAndGet();
  }

  /**
   * Re-reads the file. Returns true if the membership changed; keeps the old one if the file is
   * unreadable or invalid.
   */
  public synchronized boolean reload() {
    if (file == null) {
      return false;
    }
    try {
      String content = read(file);
      if (content.equals(lastContent)) {
        return false;
      }
      current = new Rendezvous(parse(content, file.toString()));
      lastContent = content;
      lastError = null;
      reloads.incrementAndGet();
      return true;
    } catch (BlockliftException e) {
      lastError = e.getMessage();
      return false;
    }
  }

  /** Polls the file for changes every {@code interval} on {@code scheduler}. */
  public synchronized void watch(ScheduledExecutorService scheduler, Duration interval) {
    if (poll != null) {
      poll.cancel(false);
    }
    poll =
        scheduler.scheduleWithFixedDelay(
            this::reload, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  public String lastError() {
    return lastError;
  }

  public long reloads() {
    return reloads.get();
  }

  @Override
  public synchronized void close() {
    if (poll != null) {
      poll.cancel(false);
    }
  }
}
