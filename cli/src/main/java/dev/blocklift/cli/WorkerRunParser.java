package dev.blocklift.cli;

import dev.blocklift.agent.WorkerRuns;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ImageName;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * Parses the arguments of a {@code blocklift run} that the launcher forwarded to the worker, with
 * the very option definitions of {@link RunCommand}, so a run means the same with and without a
 * worker. Options that configure the worker itself (store, tiers, keys) are refused: the running
 * worker's configuration applies.
 */
final class WorkerRunParser implements WorkerRuns.Parser {
  @Override
  public WorkerRuns.RunRequest parse(List<String> argv, Path cwd) {
    RunCommand run = new RunCommand();
    CommandLine cl = new CommandLine(run);
    ParseResult result;
    try {
      result = cl.parseArgs(argv.toArray(String[]::new));
    } catch (CommandLine.ParameterException e) {
      throw new BlockliftException(e.getMessage());
    }
    if (result.isUsageHelpRequested() || result.isVersionHelpRequested()) {
      throw new BlockliftException("for help, run blocklift run --help --no-worker");
    }
    List<String> workerOnly = new ArrayList<>();
    List<OptionSpec> workerOptions = cl.getCommandSpec().mixins().get("worker").options();
    for (OptionSpec o : result.matchedOptions()) {
      if (workerOptions.contains(o)) {
        workerOnly.add(o.longestName());
      }
    }
    if (!workerOnly.isEmpty()) {
      throw new BlockliftException(
          String.join(", ", workerOnly)
              + " configure the worker, which is already running with its own; drop them, or"
              + " run in-process with --no-worker");
    }
    if (run.prefetch != null) {
      throw new BlockliftException(
          "--prefetch is not supported through the worker yet; use --no-worker");
    }
    return new WorkerRuns.RunRequest(
        ImageName.parse(run.image),
        List.copyOf(run.command),
        run.sandbox.sandbox(),
        Optional.ofNullable(run.statsJson).map(cwd::resolve),
        Optional.ofNullable(run.trace).map(cwd::resolve));
  }
}
