package dev.blocklift.cli;

import dev.blocklift.chunk.Manifest;
import dev.blocklift.core.ByteSize;
import dev.blocklift.core.ImageName;
import dev.blocklift.store.Store;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code blocklift images}: the published images of a store. */
@Command(
    name = "images",
    mixinStandardHelpOptions = true,
    description = "List the images published in a store: NAME:TAG, device size, chunks.")
public final class ImagesCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin HomeOptions options;

  @Option(names = "--json", description = "Print as JSON.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    List<Map<String, Object>> rows = new ArrayList<>();
    try (Store store = ReadPath.store(options.config())) {
      for (ImageName n : store.manifests().list()) {
        Optional<byte[]> bytes = store.manifests().get(n);
        if (bytes.isEmpty()) {
          continue;
        }
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("name", n.toString());
        try {
          Manifest m = Manifest.parse(bytes.get());
          row.put("deviceBytes", m.deviceSize());
          row.put("chunks", m.chunkCount());
          row.put("dataChunks", m.dataChunkCount());
          row.put("tenant", m.tenant().toString());
        } catch (RuntimeException e) {
          row.put("error", e.getMessage());
        }
        rows.add(row);
      }
    }
    if (json) {
      out.println(StoreJson.write(rows));
    } else {
      out.printf("%-40s %10s %8s %8s  %s%n", "NAME", "SIZE", "CHUNKS", "DATA", "TENANT");
      for (Map<String, Object> r : rows) {
        if (r.containsKey("error")) {
          out.printf("%-40s unreadable: %s%n", r.get("name"), r.get("error"));
        } else {
          out.printf(
              "%-40s %10s %8d %8d  %s%n",
              r.get("name"),
              ByteSize.format((Long) r.get("deviceBytes")),
              (Integer) r.get("chunks"),
              (Integer) r.get("dataChunks"),
              r.get("tenant"));
        }
      }
    }
    out.flush();
    return 0;
  }
}
