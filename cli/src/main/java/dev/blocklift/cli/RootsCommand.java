package dev.blocklift.cli;

import dev.blocklift.chunk.SaltRoot;
import dev.blocklift.chunk.SaltRoots;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code blocklift roots [rotate]}: list the salt roots, or retire the active one. */
@Command(
    name = "roots",
    mixinStandardHelpOptions = true,
    description = {
      "List the salt roots (active → retired → expired). New conversions salt their chunks with",
      "the active root; rotating it starts a new dedup domain."
    },
    subcommands = {RootsCommand.Rotate.class})
public final class RootsCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin HomeOptions options;

  @Option(names = "--json", description = "Print as JSON.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    SaltRoots roots = options.home().roots();
    print(spec.commandLine().getOut(), roots.list(), json);
    return 0;
  }

  static void print(PrintWriter out, List<SaltRoot> roots, boolean json) {
    if (json) {
      List<Map<String, Object>> rows = new ArrayList<>();
      for (SaltRoot r : roots) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id());
        m.put("state", r.state().name().toLowerCase(java.util.Locale.ROOT));
        m.put("created", r.created().toString());
        r.retired().ifPresent(t -> m.put("retired", t.toString()));
        r.expired().ifPresent(t -> m.put("expired", t.toString()));
        rows.add(m);
      }
      out.println(StoreJson.write(rows));
    } else {
      if (roots.isEmpty()) {
        out.println("no salt roots yet (the first convert creates root-1)");
      }
      for (SaltRoot r : roots) {
        out.printf(
            "%-12s %-8s created %s%s%s%n",
            r.id(),
            r.state().name().toLowerCase(java.util.Locale.ROOT),
            r.created(),
            r.retired().map(t -> ", retired " + t).orElse(""),
            r.expired().map(t -> ", expired " + t).orElse(""));
      }
    }
    out.flush();
  }

  /** {@code blocklift roots rotate}. */
  @Command(
      name = "rotate",
      mixinStandardHelpOptions = true,
      description = "Retire the active salt root and make a new one active.")
  static final class Rotate implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Mixin HomeOptions options;

    @Override
    public Integer call() throws Exception {
      SaltRoots roots = options.home().roots();
      SaltRoot fresh = roots.rotate();
      spec.commandLine().getOut().println("active salt root is now " + fresh.id());
      print(spec.commandLine().getOut(), roots.list(), false);
      return 0;
    }
  }
}
