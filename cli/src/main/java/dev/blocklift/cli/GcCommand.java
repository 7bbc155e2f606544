package dev.blocklift.cli;

import dev.blocklift.convert.GarbageCollector;
import dev.blocklift.convert.GcResult;
import dev.blocklift.core.ByteSize;
import dev.blocklift.core.TimeSpan;
import dev.blocklift.store.Store;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code blocklift gc}: delete chunks no manifest references, once older than a grace period. */
@Command(
    name = "gc",
    mixinStandardHelpOptions = true,
    description = {
      "Delete chunks that no published manifest references and that are older than the grace",
      "period. The grace period must exceed the longest conversion (it protects chunks a running",
      "convert uploaded or re-used but has not published yet)."
    })
public final class GcCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--dry-run", description = "Report what would be deleted; delete nothing.")
  boolean dryRun;

  @Option(
      names = "--grace",
      paramLabel = "DURATION",
      defaultValue = "24h",
      description =
          "Spare chunks younger than this: 500ms, 90s, 30m, 24h, 7d or ISO-8601 PT1H (default:"
              + " ${DEFAULT-VALUE}).")
  String grace;

  @Option(names = "--json", description = "Print the result as JSON.")
  boolean json;

  @Mixin HomeOptions options;

  @Override
  public Integer call() throws Exception {
    TimeSpan g;
    try {
      g = TimeSpan.parse(grace);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--grace: " + e.getMessage(), e);
    }
    GcResult r;
    WorkerConfig config = options.config();
    try (Store store = ReadPath.store(config)) {
      r =
          new GarbageCollector(
                  store,
                  Clock.systemUTC(),
                  config.home().secret().manifestMac(),
                  Optional.of(config.home().tmp()))
              .collect(g.toDuration(), dryRun);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(StoreJson.write(r.toMap()));
    } else {
      out.printf(
          Locale.ROOT,
          "%d manifests reference %d chunks; %d chunks stored; %s %d unreferenced chunks (%s);"
              + " %d spared as younger than %s; %d leftover temporary files removed%s%n",
          r.manifests(),
          r.referenced(),
          r.listed(),
          dryRun ? "would delete" : "deleted",
          r.swept(),
          ByteSize.format(r.bytesSwept()),
          r.young(),
          g,
          r.leftoversRemoved(),
          r.missing() > 0
              ? "; WARNING: " + r.missing() + " referenced chunks missing (run verify)"
              : "");
    }
    out.flush();
    return 0;
  }
}
