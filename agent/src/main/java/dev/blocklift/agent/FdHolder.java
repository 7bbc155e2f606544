package dev.blocklift.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The process that keeps a FUSE connection alive while no server holds it: a {@code sleep infinity}
 * in a session of its own (no terminal signals reach it), holding a dup of the /dev/fuse fd as its
 * fd 3 and nothing else. A pid is taken to mean the same process only with the same start time
 * (field 22 of /proc/PID/stat), so a reused pid is never mistaken for the holder.
 */
record FdHolder(int pid, long startTime) {
  /** The holder's fd number for the connection. */
  static final int FD = 3;

  static FdHolder spawn(int fuseFd) {
    Path sleep =
        List.of(Path.of("/usr/bin/sleep"), Path.of("/bin/sleep")).stream()
            .filter(Files::isExecutable)
            .findFirst()
            .orElseThrow(() -> new IllegalStateException("no sleep binary in /usr/bin or /bin"));
    int pid = Libc.spawnHolding(fuseFd, List.of(sleep.toString(), "infinity"));
    long start = startTime(pid);
    if (start < 0) {
      throw new IllegalStateException("FUSE fd holder " + pid + " died at once");
    }
    return new FdHolder(pid, start);
  }

  /** The start time of a live (not zombie) {@code pid}, or -1. */
  static long startTime(int pid) {
    String stat;
    try {
      stat = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      return -1;
    }
    int close = stat.lastIndexOf(')');
    if (close < 0) {
      return -1;
    }
    // After "pid (comm)": field 3 is the state, field 22 the start time.
    String[] f = stat.substring(close + 2).trim().split(" ");
    if (f.length < 20 || f[0].equals("Z") || f[0].equals("X")) {
      return -1;
    }
    try {
      return Long.parseLong(f[19]);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  boolean alive() {
    return startTime(pid) == startTime;
  }

  /** A new fd of ours for the holder's connection (pidfd_getfd needs ptrace rights: root). */
  int takeFd() throws IOException {
    Libc.Result pidfd = Libc.pidfdOpen(pid);
    if (pidfd.failed()) {
      throw new IOException("pidfd_open(" + pid + ") failed: errno " + pidfd.errno());
    }
    try {
      if (!alive()) { // checked after the pidfd pins the process: a reused pid fails here
        throw new IOException("FUSE fd holder " + pid + " is gone or not the one recorded");
      }
      Libc.Result fd = Libc.pidfdGetfd((int) pidfd.value(), FD);
      if (fd.failed()) {
        throw new IOException("pidfd_getfd(" + pid + ", " + FD + ") failed: errno " + fd.errno());
      }
      return (int) fd.value();
    } finally {
      Libc.close((int) pidfd.value());
    }
  }

  /** Kills the holder if it is still the recorded process, and reaps it if it is our child. */
  void kill() {
    if (alive()) {
      Libc.kill(pid, Libc.SIGKILL);
      Libc.waitpid(pid);
    }
  }
}
