package dev.blocklift.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --home} and {@code --store}, shared by the store commands: {@code @Mixin HomeOptions}. */
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
      description = "Tenant whose key seals or opens manifests (default: ${DEFAULT-VALUE}).",
      defaultValue = "default")
  String tenant;

  Home home() {
    return Home.resolve(home);
  }

  dev.blocklift.chunk.TenantId tenant() {
    return dev.blocklift.chunk.TenantId.of(tenant);
  }
}
