package dev.blocklift.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --worker SOCKET} of the commands that talk to a running worker: the flag, else {@code
 * $BLOCKLIFT_WORKER}, else the worker's default socket.
 */
final class WorkerSocket {
  static final Path DEFAULT = Path.of("/run/blocklift/worker.sock");

  @Option(
      names = "--worker",
      paramLabel = "SOCKET",
      description =
          "The worker's socket (default: $BLOCKLIFT_WORKER, else /run/blocklift/worker.sock).")
  Path worker;

  Path socket() {
    if (worker != null) {
      return worker;
    }
    String env = System.getenv("BLOCKLIFT_WORKER");
    return env != null && !env.isBlank() ? Path.of(env) : DEFAULT;
  }
}
