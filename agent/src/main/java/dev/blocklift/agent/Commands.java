package dev.blocklift.agent;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs the system tools the agent drives (losetup, mount, umount) with a bounded wait. */
final class Commands {
  private Commands() {}

  static final Duration TIMEOUT = Duration.ofSeconds(60);

  record Result(int exitCode, String stdout, String stderr) {}

  static Result run(List<String> command) throws IOException {
    Process p = new ProcessBuilder(command).start();
    p.getOutputStream().close();
    CompletableFuture<String> out = drain(p.getInputStream());
    CompletableFuture<String> err = drain(p.getErrorStream());
    try {
      if (!p.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        throw new IOException("timed out after " + TIMEOUT + ": " + String.join(" ", command));
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted running " + String.join(" ", command), e);
    }
    return new Result(p.exitValue(), out.join(), err.join());
  }

  /** Runs and returns stdout, or throws with the command's stderr. */
  static String check(List<String> command) throws IOException {
    Result r = run(command);
    if (r.exitCode() != 0) {
      throw new IOException(
          String.join(" ", command) + " failed (exit " + r.exitCode() + "): " + r.stderr().strip());
    }
    return r.stdout();
  }

  private static CompletableFuture<String> drain(InputStream in) {
    CompletableFuture<String> f = new CompletableFuture<>();
    Thread.ofVirtual()
        .start(
            () -> {
              try (in) {
                f.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
              } catch (IOException e) {
                f.complete("");
              }
            });
    return f;
  }
}
