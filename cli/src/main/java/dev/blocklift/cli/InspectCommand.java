package dev.blocklift.cli;

import dev.blocklift.chunk.KeyService;
import dev.blocklift.chunk.Manifest;
import dev.blocklift.chunk.OpenedManifest;
import dev.blocklift.convert.ImageVerifier;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ImageName;
import dev.blocklift.store.Store;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code blocklift inspect NAME}: the public part of a manifest; with {@code --open}, also opens
 * the sealed part with the tenant's key (key count only: keys are never printed).
 */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    description = {
      "Show a published manifest's public part (no key needed).",
      "With --open, also unseal it with the tenant's key and show the key count (never the keys)."
    })
public final class InspectCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "NAME[:TAG]")
  String name;

  @Option(
      names = "--open",
      description = "Unseal with the tenant's key (--tenant) and authenticate the whole manifest.")
  boolean open;

  @Option(names = "--chunks", description = "List every chunk name (holes as -).")
  boolean chunks;

  @Option(names = "--json", description = "Print as JSON.")
  boolean json;

  @Mixin HomeOptions options;

  @Override
  public Integer call() throws Exception {
    ImageName n = ImageName.parse(name);
    WorkerConfig config = options.config();
    Home home = config.home();
    Map<String, Object> m = new LinkedHashMap<>();
    try (Store store = ReadPath.store(config)) {
      byte[] bytes =
          store
              .manifests()
              .get(n)
              .orElseThrow(
                  () ->
                      new BlockliftException(
                          "no image " + n + " in " + store.uri() + "; see blocklift images"));
      Manifest man = Manifest.parse(bytes);
      m.put("name", n.toString());
      m.put("manifest", man.digest().toString());
      m.put("formatVersion", man.formatVersion());
      m.put("chunkFormat", man.chunkFormat().number());
      m.put("image", man.imageDigest().toString());
      m.put("chunkSize", man.chunkSize());
      m.put("deviceBytes", man.deviceSize());
      m.put("chunks", man.chunkCount());
      m.put("dataChunks", man.dataChunkCount());
      m.put("holes", man.holeCount());
      m.put("distinctChunks", man.distinctChunks().size());
      m.put("saltRoot", man.saltRootId());
      m.put("tenant", man.tenant().toString());
      man.imageName().ifPresent(sealedAs -> m.put("sealedAs", sealedAs.toString()));
      m.put("sequence", man.sequence());
      if (chunks) {
        java.util.List<String> list = new java.util.ArrayList<>();
        for (int i = 0; i < man.chunkCount(); i++) {
          list.add(man.chunk(i).map(Object::toString).orElse("-"));
        }
        m.put("chunkNames", list);
      }
      if (open) {
        try (KeyService keys = ReadPath.keys(config)) {
          OpenedManifest opened =
              new ImageVerifier(store, keys, home.roots(), 1).open(n, config.tenant());
          m.put("sealed", "authentic");
          m.put("keys", opened.manifest().dataChunkCount());
          // The config is sealed (its Env may hold secrets): shown only once opened.
          m.put("config", new String(opened.imageConfigJson(), StandardCharsets.UTF_8));
        }
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(StoreJson.write(m));
    } else {
      for (Map.Entry<String, Object> e : m.entrySet()) {
        if (e.getValue() instanceof java.util.List<?> list) {
          out.println(e.getKey() + ":");
          list.forEach(x -> out.println("  " + x));
        } else {
          out.println(e.getKey() + ": " + e.getValue());
        }
      }
    }
    out.flush();
    return 0;
  }
}
