package dev.blocklift.cli;

import dev.blocklift.core.BlockliftException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The top-level command. Every subcommand is its own small class; this is the one place where they
 * are listed.
 */
@Command(
    name = "blocklift",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "Load container images on demand, block by block.",
    subcommands = {
      CommandLine.HelpCommand.class,
      ConvertCommand.class,
      ImagesCommand.class,
      InspectCommand.class,
      VerifyCommand.class,
      GcCommand.class,
      RootsCommand.class,
      FlattenCommand.class,
      DemoCommand.class,
      MountCommand.class,
      UmountCommand.class,
      RunCommand.class,
      WorkerCommand.class,
      FunctionsCommand.class,
      NbdCommand.class,
      StatsCommand.class,
      CacheNodeCommand.class
    })
public final class BlockliftCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The configured command line: user errors print one line, not a stack trace. */
  public static CommandLine commandLine() {
    return configure(new CommandLine(new BlockliftCommand()));
  }

  /**
   * A command line that knows only {@code blocklift NAME}, for the start-up-critical commands: the
   * full one makes picocli load and inspect every subcommand class (and through their options,
   * convert, registry and S3 classes), which costs a cold JVM ~0.2 s before {@code run} starts.
   * Parsing, help and errors of that one subcommand are the same.
   */
  static CommandLine only(String name, Object subcommand) {
    CommandLine.Model.CommandSpec top =
        CommandLine.Model.CommandSpec.create().name("blocklift").mixinStandardHelpOptions(true);
    CommandLine cl = new CommandLine(top);
    cl.addSubcommand(name, subcommand);
    return configure(cl);
  }

  private static CommandLine configure(CommandLine cl) {
    cl.setExecutionExceptionHandler(
        (ex, cmd, parsed) -> {
          // User errors, and store or network failures (IOException: their messages name the
          // store and what failed), are one line; anything else is a bug and keeps its trace.
          if (ex instanceof BlockliftException
              || ex instanceof IllegalArgumentException
              || ex instanceof java.io.IOException) {
            cmd.getErr().println("blocklift: " + ex.getMessage());
            if (Boolean.getBoolean("blocklift.debug")) {
              ex.printStackTrace(cmd.getErr());
            }
            return 1;
          }
          throw ex;
        });
    return cl;
  }
}
