package dev.blocklift.cli;

import picocli.CommandLine;

/** Entry point of the {@code blocklift} launcher. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs one command line and returns its exit code (tests call this instead of main). */
  public static int run(String... args) {
    CommandLine cl = BlockliftCommand.commandLine();
    return cl.execute(args);
  }
}
