package dev.blocklift.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.CorruptDataException;
import dev.blocklift.core.Digest;
import dev.blocklift.core.Platform;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarFile;

/**
 * A {@code docker save} tarball: {@code manifest.json} names the config and the layer tars, either
 * in the old layout ({@code <id>/layer.tar}, {@code <hex>.json}) or the OCI-style one ({@code
 * blobs/sha256/<hex>}, docker 25+), possibly via symlink entries. The tarball is read in place
 * (random access, nothing extracted).
 *
 * <p>Digests: a layer stored as {@code blobs/sha256/<hex>} is verified against {@code <hex>}; an
 * old-style {@code layer.tar} is an uncompressed tar whose digest is, by definition, its diff_id,
 * so that is what it is verified against. The config is verified against the hex in its name. The
 * archive has no manifest of its own, so the <b>manifest digest</b> is the sha256 of a synthesized
 * canonical docker v2 manifest (compact JSON, keys in the order schemaVersion, mediaType, config,
 * layers; each descriptor mediaType, size, digest) built from those descriptors: the same archive
 * always gives the same digest.
 */
final class DockerArchiveSource implements ImageSource {
  private final Path file;
  private final TarFile tar;
  private final Map<String, TarArchiveEntry> entries = new HashMap<>();
  private final Map<Digest, TarArchiveEntry> blobs = new HashMap<>();

  private DockerArchiveSource(Path file, TarFile tar) {
    this.file = file;
    this.tar = tar;
    for (TarArchiveEntry e : tar.getEntries()) {
      entries.put(normalize(e.getName()), e);
    }
  }

  static DockerArchiveSource open(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new BlockliftException("docker-archive file " + file + " does not exist");
    }
    try {
      return new DockerArchiveSource(file, new TarFile(file));
    } catch (IOException | RuntimeException e) {
      throw new BlockliftException(
          file
              + " is not a docker-archive (docker save) tarball: "
              + dev.blocklift.core.Failures.describe(e),
          e);
    }
  }

  private static String normalize(String name) {
    String n = name;
    while (n.startsWith("./")) {
      n = n.substring(2);
    }
    while (n.startsWith("/")) {
      n = n.substring(1);
    }
    return n;
  }

  @Override
  public String describe() {
    return "docker-archive:" + file;
  }

  private TarArchiveEntry entry(String name) {
    String n = normalize(name);
    for (int hops = 0; hops < 8; hops++) {
      TarArchiveEntry e = entries.get(n);
      if (e == null) {
        throw new CorruptDataException(describe() + " has no entry \"" + name + "\"");
      }
      if (!e.isSymbolicLink()) {
        return e;
      }
      String target = e.getLinkName();
      n =
          target.startsWith("/")
              ? normalize(target)
              : Path.of(n).resolveSibling(target).normalize().toString();
    }
    throw new CorruptDataException(describe() + ": too many symlinks resolving \"" + name + "\"");
  }

  private byte[] read(TarArchiveEntry e, String what) throws IOException {
    return Json.readSmall(tar.getInputStream(e), what);
  }

  private static Digest digestFromName(String name) {
    String n = normalize(name);
    if (n.startsWith("blobs/sha256/")) {
      return Digest.sha256Hex(n.substring("blobs/sha256/".length()));
    }
    if (n.matches("[0-9a-f]{64}\\.json")) {
      return Digest.sha256Hex(n.substring(0, 64));
    }
    return null;
  }

  @Override
  public ResolvedImage resolve(Platform platform) throws IOException {
    JsonNode manifests;
    try {
      manifests = Json.MAPPER.readTree(read(entry("manifest.json"), "manifest.json"));
    } catch (IOException e) {
      throw new CorruptDataException(describe() + ": manifest.json is not JSON", e);
    }
    if (manifests == null || !manifests.isArray() || manifests.isEmpty()) {
      throw new CorruptDataException(describe() + ": manifest.json is not a non-empty array");
    }
    if (manifests.size() > 1) {
      List<String> tags = new ArrayList<>();
      for (JsonNode m : manifests) {
        tags.add(m.path("RepoTags").toString());
      }
      throw new BlockliftException(
          describe()
              + " holds "
              + manifests.size()
              + " images ("
              + String.join(", ", tags)
              + "); blocklift reads single-image archives only: docker save one image");
    }
    JsonNode m = manifests.get(0);
    String configName = Json.requireText(m, "Config", "manifest.json");
    byte[] config = read(entry(configName), "config " + configName);
    Digest configDigest = digestFromName(configName);
    if (configDigest != null) {
      Json.verify(config, configDigest, config.length, describe() + " config " + configName);
    } else {
      configDigest = Digest.sha256(config);
    }
    ImageConfig parsed = ImageConfig.parse(config);
    if (!parsed.os().isEmpty()
        && !platform.matches(parsed.os(), parsed.architecture(), parsed.variant().orElse(""))) {
      throw new BlockliftException(
          "no image for platform "
              + platform
              + " in "
              + describe()
              + "; it holds "
              + parsed.os()
              + "/"
              + parsed.architecture()
              + parsed.variant().map(v -> "/" + v).orElse("")
              + " (choose with --platform)");
    }
    JsonNode layerNames = m.path("Layers");
    if (!layerNames.isArray()) {
      throw new CorruptDataException(describe() + ": manifest.json has no Layers array");
    }
    List<Digest> diffIds = Manifests.diffIds(config, layerNames.size());
    List<Descriptor> layers = new ArrayList<>();
    for (int i = 0; i < layerNames.size(); i++) {
      String name = layerNames.get(i).asText("");
      TarArchiveEntry e = entry(name);
      Digest d = digestFromName(name);
      if (d == null) {
        d = digestFromName(e.getName());
      }
      if (d == null) {
        d = diffIds.get(i);
      }
      blobs.put(d, e);
      layers.add(new Descriptor(MediaTypes.DOCKER_LAYER, d, e.getSize()));
    }
    Descriptor configDescriptor =
        new Descriptor(MediaTypes.DOCKER_CONFIG, configDigest, config.length);
    blobs.put(configDigest, entry(configName));
    return new ResolvedImage(
        Digest.sha256(syntheticManifest(configDescriptor, layers)), config, layers, diffIds);
  }

  private static byte[] syntheticManifest(Descriptor config, List<Descriptor> layers)
      throws IOException {
    ObjectNode root = Json.MAPPER.createObjectNode();
    root.put("schemaVersion", 2);
    root.put("mediaType", MediaTypes.DOCKER_MANIFEST);
    root.set("config", descriptorJson(config));
    ArrayNode array = root.putArray("layers");
    for (Descriptor l : layers) {
      array.add(descriptorJson(l));
    }
    return Json.MAPPER.writeValueAsBytes(root);
  }

  private static ObjectNode descriptorJson(Descriptor d) {
    ObjectNode n = Json.MAPPER.createObjectNode();
    n.put("mediaType", d.mediaType());
    n.put("size", d.size());
    n.put("digest", d.digest().toString());
    return n;
  }

  @Override
  public InputStream openBlob(Descriptor blob) throws IOException {
    TarArchiveEntry e = blobs.get(blob.digest());
    if (e == null) {
      throw new BlockliftException(
          "blob " + blob.digest() + " is not in " + describe() + " (resolve the image first)");
    }
    return tar.getInputStream(e);
  }

  @Override
  public void close() throws IOException {
    tar.close();
  }
}
