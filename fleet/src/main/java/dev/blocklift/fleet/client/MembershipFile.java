package dev.blocklift.fleet.client;

import dev.blocklift.fleet.placement.Membership;
import dev.blocklift.fleet.placement.Rendezvous;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The fleet's membership as a worker sees it: a file of {@code host:port} lines ({@code #}
 * comments, blank lines), re-read when it changes. A missing file, or one listing no node, is an
 * empty membership (no L2: {@link FleetSource} then reads straight from the next tier); the file
 * appearing or filling later turns the fleet on. A file that does not parse keeps the last good
 * membership and is reported by {@link #lastError()}.
 *
 * <p>{@link #get()} looks at the file's modification time and size at most once per {@code
 * checkEvery} (1 s by default), so it is cheap on every read.
 */
public final class MembershipFile implements java.util.function.Supplier<Rendezvous> {
  private static final Rendezvous EMPTY = new Rendezvous(List.of());

  private final Path file;
  private final long checkEveryNanos;
  private final LongSupplier nanoTime;
  private volatile Rendezvous current = EMPTY;
  private volatile String lastError;
  private volatile long nextCheck;
  private String lastStamp = "never read";

  MembershipFile(Path file, long checkEveryNanos, LongSupplier nanoTime) {
    this.file = file;
    this.checkEveryNanos = checkEveryNanos;
    this.nanoTime = nanoTime;
    refresh(true);
  }

  /** Watches {@code file}, checking it at most once a second. */
  public static MembershipFile watch(Path file) {
    return new MembershipFile(file, TimeUnit.SECONDS.toNanos(1), System::nanoTime);
  }

  @Override
  public Rendezvous get() {
    long now = nanoTime.getAsLong();
    if (now - nextCheck >= 0) {
      refresh(false);
    }
    return current;
  }

  /** The file's last parse error, or null if it parsed (or is absent). */
  public String lastError() {
    return lastError;
  }

  public Path file() {
    return file;
  }

  private synchronized void refresh(boolean force) {
    long now = nanoTime.getAsLong();
    if (!force && now - nextCheck < 0) {
      return; // another thread checked meanwhile
    }
    nextCheck = now + checkEveryNanos;
    String stamp;
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      stamp = a.lastModifiedTime().toMillis() + ":" + a.size() + ":" + a.fileKey();
    } catch (IOException e) {
      stamp = "absent";
    }
    if (stamp.equals(lastStamp)) {
      return;
    }
    lastStamp = stamp;
    if (stamp.equals("absent")) {
      current = EMPTY;
      lastError = null;
      return;
    }
    String content;
    try {
      content = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      current = EMPTY;
      lastError = null;
      return;
    } catch (IOException e) {
      lastError = "cannot read fleet membership file " + file + ": " + e;
      return;
    }
    if (content.lines().map(MembershipFile::uncommented).allMatch(String::isEmpty)) {
      current = EMPTY;
      lastError = null;
      return;
    }
    try {
      current = new Rendezvous(Membership.parse(content, file.toString()));
      lastError = null;
    } catch (RuntimeException e) {
      lastError = e.getMessage();
    }
  }

  private static String uncommented(String line) {
    int hash = line.indexOf('#');
    return (hash >= 0 ? line.substring(0, hash) : line).strip();
  }
}
