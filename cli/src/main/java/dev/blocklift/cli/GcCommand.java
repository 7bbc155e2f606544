package dev.blocklift.cli;

import dev.blocklift.convert.GarbageCollector;
import dev.blocklift.convert.GcResult;
import dev.blocklift.core.ByteSize;
import dev.blocklift.store.Store;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
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
          "Spare chunks younger than this: 90s, 30m, 24h, 7d or ISO-8601 (default: ${DEFAULT-VALUE}).")
  String grace;

  @Option(names = "--json", description = "Print the result as JSON.")
  boolean json;

  @Mixin HomeOptions options;

  @Override
  public Integer call() throws Exception {
    Duration g = parseDuration(grace);
    GcResult r;
    try (Store store = options.home().openStore(options.store)) {
      r = new GarbageCollector(store, Clock.systemUTC()).collect(g, dryRun);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(StoreJson.write(r.toMap()));
    } else {
      out.printf(
          Locale.ROOT,
          "%d manifests reference %d chunks; %d chunks stored; %s %d unreferenced chunks (%s);"
              + " %d spared as younger than %s%s%n",
          r.manifests(),
          r.referenced(),
          r.listed(),
          dryRun ? "would delete" : "deleted",
          r.swept(),
          ByteSize.format(r.bytesSwept()),
          r.young(),
          grace,
          r.missing() > 0
              ? "; WARNING: " + r.missing() + " referenced chunks missing (run verify)"
              : "");
    }
    out.flush();
    return 0;
  }

  /** {@code 90s}, {@code 30m}, {@code 24h}, {@code 7d}, {@code 0} or ISO-8601 ({@code PT1H}). */
  static Duration parseDuration(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    try {
      if (t.equals("0")) {
        return Duration.ZERO;
      }
      if (t.startsWith("p")) {
        return Duration.parse(t.toUpperCase(Locale.ROOT));
      }
      long n = Long.parseLong(t.substring(0, t.length() - 1));
      Duration d =
          switch (t.charAt(t.length() - 1)) {
            case 's' -> Duration.ofSeconds(n);
            case 'm' -> Duration.ofMinutes(n);
            case 'h' -> Duration.ofHours(n);
            case 'd' -> Duration.ofDays(n);
            default -> throw new NumberFormatException();
          };
      if (d.isNegative()) {
        throw new NumberFormatException();
      }
      return d;
    } catch (NumberFormatException | DateTimeParseException | StringIndexOutOfBoundsException e) {
      throw new IllegalArgumentException(
          "--grace must look like 90s, 30m, 24h, 7d or PT1H, got \"" + text + "\"", e);
    }
  }
}
