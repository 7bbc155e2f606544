package dev.blocklift.fleet.node;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A cache node as a plain {@code main}, for tests and benchmarks that spawn nodes as separate JVMs
 * without the CLI on the class path ({@link NodeProcess}); the options and their parsing are those
 * of {@code blocklift cache-node} ({@link CacheNodeOptions}).
 *
 * <pre>
 * java -cp ... dev.blocklift.fleet.node.CacheNodeMain --listen 127.0.0.1:0 --memory 32MiB \
 *     --disk DIR --disk-size 256MiB [--test-delay 20ms] [--test-corrupt-rate 0.5]
 * </pre>
 */
@Command(name = "cache-node", mixinStandardHelpOptions = true)
public final class CacheNodeMain implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin CacheNodeOptions options;

  @Override
  public Integer call() throws Exception {
    return options.serve(spec.commandLine().getOut());
  }

  public static void main(String[] args) {
    CommandLine cl = new CommandLine(new CacheNodeMain());
    cl.setExecutionExceptionHandler(
        (ex, cmd, parsed) -> {
          if (ex instanceof IllegalArgumentException) {
            cmd.getErr().println("cache-node: " + ex.getMessage());
            return 2;
          }
          throw ex;
        });
    System.exit(cl.execute(args));
  }
}
