package dev.blocklift.testing.oci;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.blocklift.core.Hex;
import dev.blocklift.core.Sha256;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes {@code docker save} tarballs for tests, in the old layout ({@code <id>/layer.tar}, {@code
 * <hex>.json}, always uncompressed layers) or the OCI-style one docker 25+ writes ({@code
 * blobs/sha256/<hex>}, layers compressed as each {@link Layer} says).
 */
public final class DockerArchiveWriter {
  /** Which docker save layout to write. */
  public enum Style {
    LEGACY,
    OCI_BLOBS
  }

  private DockerArchiveWriter() {}

  public static void write(Path file, ImageSpec spec, List<Layer> layers, Style style)
      throws IOException {
    Path work = Files.createTempDirectory(file.toAbsolutePath().getParent(), "docker-archive");
    try {
      List<LayerBlobs.Written> written = new ArrayList<>();
      for (Layer l : layers) {
        written.add(
            LayerBlobs.write(l, work, style == Style.LEGACY ? Compression.PLAIN : l.compression()));
      }
      List<String> diffIds = new ArrayList<>();
      for (int i = 0; i < written.size(); i++) {
        diffIds.add(spec.diffIdOverrides.getOrDefault(i, written.get(i).diffId()));
      }
      byte[] config = OciLayoutWriter.configJson(spec, diffIds);
      String configHex = Hex.encode(Sha256.hash(config));
      String configName = style == Style.LEGACY ? configHex + ".json" : "blobs/sha256/" + configHex;
      ObjectNode m = OciLayoutWriter.JSON.createObjectNode();
      m.put("Config", configName);
      m.putArray("RepoTags").add("fixture:latest");
      ArrayNode layerNames = m.putArray("Layers");
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
        TarWriter tar = new TarWriter(out);
        if (style == Style.OCI_BLOBS) {
          tar.write(TarEntry.directory("blobs/"));
          tar.write(TarEntry.directory("blobs/sha256/"));
        }
        for (LayerBlobs.Written w : written) {
          String hex = w.digest().substring("sha256:".length());
          String name;
          if (style == Style.LEGACY) {
            tar.write(TarEntry.directory(hex + "/"));
            name = hex + "/layer.tar";
          } else {
            name = "blobs/sha256/" + hex;
          }
          layerNames.add(name);
          Path f = w.file();
          tar.write(
              TarEntry.file(name, new byte[0])
                  .withData(
                      w.size(),
                      () -> {
                        try {
                          return Files.newInputStream(f);
                        } catch (IOException e) {
                          throw new java.io.UncheckedIOException(e);
                        }
                      }));
        }
        tar.write(TarEntry.file(configName, config));
        byte[] manifest =
            OciLayoutWriter.JSON.writeValueAsBytes(OciLayoutWriter.JSON.createArrayNode().add(m));
        tar.write(
            TarEntry.file("manifest.json", new byte[0])
                .withData(manifest.length, () -> new ByteArrayInputStream(manifest)));
        tar.finish();
      }
    } finally {
      try (var s = Files.walk(work)) {
        for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }
}
