package dev.blocklift.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs external commands (oracles such as e2fsck, umoci, debugfs) with a bounded wait. */
public final class Processes {
  private Processes() {}

  /** Output and exit code of a finished command. */
  public record Result(int exitCode, String stdout, String stderr) {
    public Result assertSuccess(List<String> command) {
      if (exitCode != 0) {
        throw new AssertionError(
            "command failed with exit "
                + exitCode
                + ": "
                + String.join(" ", command)
                + "\nstdout:\n"
                + stdout
                + "\nstderr:\n"
                + stderr);
      }
      return this;
    }
  }

  public static Result run(Duration timeout, Path workDir, List<String> command)
      throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command);
    if (workDir != null) {
      pb.directory(workDir.toFile());
    }
    Process p = pb.start();
    // Read both streams on virtual threads so a chatty command never blocks on a full pipe.
    var out = new java.util.concurrent.CompletableFuture<String>();
    var err = new java.util.concurrent.CompletableFuture<String>();
    Thread.ofVirtual().start(() -> drain(p.getInputStream(), out));
    Thread.ofVirtual().start(() -> drain(p.getErrorStream(), err));
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(
            "command timed out after " + timeout + ": " + String.join(" ", command));
      }
      return new Result(p.exitValue(), out.join(), err.join());
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + command, e);
    }
  }

  public static Result run(List<String> command) throws IOException {
    return run(Duration.ofMinutes(5), null, command);
  }

  /** Runs and fails the test unless the command exits 0. */
  public static Result check(List<String> command) throws IOException {
    return run(command).assertSuccess(command);
  }

  private static void drain(
      java.io.InputStream in, java.util.concurrent.CompletableFuture<String> sink) {
    try (in) {
      sink.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      sink.complete("<unreadable: " + e + ">");
    }
  }
}
