package dev.blocklift.testing.oci;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.blocklift.core.Hex;
import dev.blocklift.core.Sha256;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Builds OCI image layouts for tests: images from {@link Layer}s and an {@link ImageSpec}, nested
 * indexes, tagged entries in {@code index.json}. Call {@link #writeIndex()} last.
 */
public final class OciLayoutWriter {
  public static final String MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  public static final String INDEX = "application/vnd.oci.image.index.v1+json";
  public static final String CONFIG = "application/vnd.oci.image.config.v1+json";
  static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final List<ObjectNode> top = new ArrayList<>();

  private OciLayoutWriter(Path dir) {
    this.dir = dir;
  }

  public static OciLayoutWriter create(Path dir) throws IOException {
    Files.createDirectories(dir.resolve("blobs/sha256"));
    Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    return new OciLayoutWriter(dir);
  }

  public Path directory() {
    return dir;
  }

  public Path blobPath(String digest) {
    return dir.resolve("blobs/sha256").resolve(digest.substring("sha256:".length()));
  }

  /** Writes layers, config and manifest; returns the manifest with the spec's platform. */
  public Blob image(ImageSpec spec, List<Layer> layers) throws IOException {
    List<LayerBlobs.Written> written = new ArrayList<>();
    for (Layer l : layers) {
      written.add(LayerBlobs.write(l, dir.resolve("blobs/sha256"), l.compression()));
    }
    List<String> diffIds = new ArrayList<>();
    for (int i = 0; i < written.size(); i++) {
      diffIds.add(spec.diffIdOverrides.getOrDefault(i, written.get(i).diffId()));
    }
    Blob config = blob(CONFIG, configJson(spec, diffIds));
    ObjectNode m = JSON.createObjectNode();
    m.put("schemaVersion", 2);
    m.put("mediaType", MANIFEST);
    m.set("config", descriptor(config));
    ArrayNode arr = m.putArray("layers");
    for (LayerBlobs.Written w : written) {
      ObjectNode d = JSON.createObjectNode();
      d.put("mediaType", w.mediaType());
      d.put("digest", w.digest());
      d.put("size", w.size());
      arr.add(d);
    }
    return blob(MANIFEST, JSON.writeValueAsBytes(m)).withPlatform(spec.platform());
  }

  public Blob image(ImageSpec spec, Layer... layers) throws IOException {
    return image(spec, List.of(layers));
  }

  /** Writes an index blob listing {@code entries} (each with its platform, if any). */
  public Blob index(List<Blob> entries) throws IOException {
    ObjectNode idx = JSON.createObjectNode();
    idx.put("schemaVersion", 2);
    idx.put("mediaType", INDEX);
    ArrayNode arr = idx.putArray("manifests");
    for (Blob b : entries) {
      arr.add(descriptor(b));
    }
    return blob(INDEX, JSON.writeValueAsBytes(idx));
  }

  /** Adds a top-level entry tagged {@code tag} (annotation org.opencontainers.image.ref.name). */
  public OciLayoutWriter tag(String tag, Blob b) {
    ObjectNode d = descriptor(b);
    d.putObject("annotations").put("org.opencontainers.image.ref.name", tag);
    top.add(d);
    return this;
  }

  /** Adds an untagged top-level entry. */
  public OciLayoutWriter add(Blob b) {
    top.add(descriptor(b));
    return this;
  }

  public void writeIndex() throws IOException {
    ObjectNode idx = JSON.createObjectNode();
    idx.put("schemaVersion", 2);
    idx.put("mediaType", INDEX);
    ArrayNode arr = idx.putArray("manifests");
    top.forEach(arr::add);
    Files.write(dir.resolve("index.json"), JSON.writeValueAsBytes(idx));
  }

  /** Writes raw bytes as a blob. */
  public Blob blob(String mediaType, byte[] data) throws IOException {
    String hex = Hex.encode(Sha256.hash(data));
    Files.write(dir.resolve("blobs/sha256").resolve(hex), data);
    return new Blob(mediaType, "sha256:" + hex, data.length, Optional.empty());
  }

  static ObjectNode descriptor(Blob b) {
    ObjectNode d = JSON.createObjectNode();
    d.put("mediaType", b.mediaType());
    d.put("digest", b.digest());
    d.put("size", b.size());
    b.platform()
        .ifPresent(
            p -> {
              String[] parts = p.split("/");
              ObjectNode pl = d.putObject("platform");
              pl.put("architecture", parts[1]);
              pl.put("os", parts[0]);
              if (parts.length > 2) {
                pl.put("variant", parts[2]);
              }
            });
    return d;
  }

  static byte[] configJson(ImageSpec spec, List<String> diffIds) throws IOException {
    ObjectNode c = JSON.createObjectNode();
    c.put("created", spec.created);
    c.put("architecture", spec.architecture);
    c.put("os", spec.os);
    spec.variant.ifPresent(v -> c.put("variant", v));
    ObjectNode cfg = c.putObject("config");
    if (!spec.user.isEmpty()) {
      cfg.put("User", spec.user);
    }
    ArrayNode env = cfg.putArray("Env");
    spec.env.forEach(env::add);
    if (!spec.entrypoint.isEmpty()) {
      ArrayNode ep = cfg.putArray("Entrypoint");
      spec.entrypoint.forEach(ep::add);
    }
    ArrayNode cmd = cfg.putArray("Cmd");
    spec.cmd.forEach(cmd::add);
    if (!spec.workingDir.isEmpty()) {
      cfg.put("WorkingDir", spec.workingDir);
    }
    if (!spec.labels.isEmpty()) {
      ObjectNode labels = cfg.putObject("Labels");
      spec.labels.forEach(labels::put);
    }
    ObjectNode rootfs = c.putObject("rootfs");
    rootfs.put("type", "layers");
    ArrayNode ids = rootfs.putArray("diff_ids");
    diffIds.forEach(ids::add);
    return JSON.writeValueAsString(c).getBytes(StandardCharsets.UTF_8);
  }
}
