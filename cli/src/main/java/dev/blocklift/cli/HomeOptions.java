package dev.blocklift.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * {@code --home}, {@code --store}, {@code --tenant} and {@code --keys}, shared by every command
 * that reads or writes images: {@code @Mixin HomeOptions}. Each flag overrides the key of the same
 * name in {@code HOME/config.properties} ({@link WorkerConfig}).
 */
public final class HomeOptions {
  @Option(
      names = "--home",
      paramLabel = "DIR",
      description = "Home directory (default: $BLOCKLIFT_HOME, else ~/.blocklift).")
  Path home;

  @Option(
      names = "--store",
      paramLabel = "URI",
      description =
          "Chunk store: file:///path, a directory, or s3://bucket/prefix?endpoint=URL&path-style=true"
              + " (default: store= in HOME/config.properties, else HOME/store).")
  String store;

  @Option(
      names = "--tenant",
      paramLabel = "TENANT",
      description = "Tenant whose key seals or opens manifests (default: tenant=, else default).")
  String tenant;

  @Option(
      names = "--keys",
      paramLabel = "SPEC",
      description =
          "Key service: local (HOME/keyring.json), pkcs11:library=LIB,slot=N,pin-file=FILE or"
              + " awskms:KEY-ID[,region=R] (default: keys=, else local).")
  String keys;

  Home home() {
    return Home.resolve(home);
  }

  /** The flags given, by config key. */
  Map<String, String> flags() {
    Map<String, String> m = new LinkedHashMap<>();
    put(m, "store", store);
    put(m, "tenant", tenant);
    put(m, "keys", keys);
    return m;
  }

  static void put(Map<String, String> m, String key, Object value) {
    if (value != null) {
      m.put(key, value.toString());
    }
  }

  /** These flags over HOME/config.properties over the defaults. */
  WorkerConfig config() throws IOException {
    return WorkerConfig.resolve(home(), flags());
  }
}
