package dev.blocklift.cli;

import dev.blocklift.chunk.KeyService;
import dev.blocklift.convert.ImageVerifier;
import dev.blocklift.convert.VerifyReport;
import dev.blocklift.core.ImageName;
import dev.blocklift.store.Store;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code blocklift verify NAME}: every chunk present and authentic. Exit code 0 if the image is
 * whole, 2 if any chunk is missing or corrupt (each is listed), 1 for other errors.
 */
@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    description = {
      "Check that every chunk of an image is present and authentic: fetch it, check it against its",
      "name, decrypt it with the tenant's key. Exit code 2 if any chunk is missing or corrupt."
    })
public final class VerifyCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "NAME[:TAG]")
  String name;

  @Option(names = "--json", description = "Print the report as JSON.")
  boolean json;

  @Mixin HomeOptions options;

  @Override
  public Integer call() throws Exception {
    ImageName n = ImageName.parse(name);
    WorkerConfig config = options.config();
    Home home = config.home();
    VerifyReport report;
    boolean bars = !json && ConvertProgress.onTerminal();
    try (Store store = ReadPath.store(config);
        KeyService keys = ReadPath.keys(config)) {
      ImageVerifier v = new ImageVerifier(store, keys, home.roots(), 16);
      int total = v.open(n, config.tenant()).manifest().distinctChunks().size();
      try (ProgressBar bar =
          bars
              ? new ProgressBarBuilder()
                  .setTaskName("verify")
                  .setInitialMax(total)
                  .setUnit(" chunks", 1)
                  .setStyle(ProgressBarStyle.ASCII)
                  .build()
              : null) {
        report =
            v.verify(
                n,
                config.tenant(),
                k -> {
                  if (bar != null) {
                    bar.stepBy(k);
                  }
                });
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", report.name().toString());
      m.put("checked", report.checked());
      m.put("ok", report.ok());
      List<Map<String, Object>> problems = new ArrayList<>();
      for (VerifyReport.Problem p : report.problems()) {
        Map<String, Object> pm = new LinkedHashMap<>();
        pm.put("index", p.index());
        pm.put("chunk", p.chunk().toString());
        pm.put("problem", p.kind().name().toLowerCase(java.util.Locale.ROOT));
        pm.put("detail", p.detail());
        problems.add(pm);
      }
      m.put("problems", problems);
      out.println(StoreJson.write(m));
    } else {
      for (VerifyReport.Problem p : report.problems()) {
        out.printf("%s chunk %d %s: %s%n", p.kind(), p.index(), p.chunk(), p.detail());
      }
      out.printf(
          "%s: %d chunks checked, %s%n",
          report.name(),
          report.checked(),
          report.ok() ? "all present and authentic" : report.problems().size() + " bad");
    }
    out.flush();
    return report.ok() ? 0 : 2;
  }
}
