package dev.blocklift.cli;

import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine;

/** Entry point of the {@code blocklift} launcher. */
public final class Main {
  /** Commands on a container's start-up path, parsed without loading every other subcommand. */
  private static final Map<String, Supplier<Object>> FAST =
      Map.of(
          "run", RunCommand::new,
          "mount", MountCommand::new,
          "umount", UmountCommand::new,
          "worker", WorkerCommand::new,
          "agent", WorkerCommand::new,
          "stats", StatsCommand::new);

  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs one command line and returns its exit code (tests call this instead of main). */
  public static int run(String... args) {
    CommandLine cl =
        args.length > 0 && FAST.containsKey(args[0])
            ? BlockliftCommand.only(args[0], FAST.get(args[0]).get())
            : BlockliftCommand.commandLine();
    return cl.execute(args);
  }
}
