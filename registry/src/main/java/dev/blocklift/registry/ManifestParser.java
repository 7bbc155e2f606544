package dev.blocklift.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.CorruptDataException;
import dev.blocklift.core.Digest;
import dev.blocklift.core.Platform;
import dev.blocklift.image.Descriptor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reads the JSON of (already verified) manifests, indexes and configs. */
final class ManifestParser {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ManifestParser() {}

  /** A manifest or index document with the media type it declares or was served with. */
  record Document(String mediaType, JsonNode json) {}

  static Document parse(byte[] bytes, Optional<String> contentType, String what) {
    JsonNode json;
    try {
      json = JSON.readTree(bytes);
    } catch (IOException e) {
      throw new CorruptDataException(what + " is not valid JSON", e);
    }
    if (json == null || !json.isObject()) {
      throw new CorruptDataException(what + " is not a JSON object");
    }
    String declared = json.path("mediaType").asText("");
    String served = contentType.map(ManifestParser::stripParams).orElse("");
    String type = !declared.isEmpty() ? declared : served;
    if (type.isEmpty() || type.equals("application/json")) {
      // OCI allows omitting mediaType: tell an index from a manifest by its shape.
      type = json.has("manifests") ? MediaTypes.OCI_INDEX : MediaTypes.OCI_MANIFEST;
    }
    if (type.equals(MediaTypes.DOCKER_SCHEMA1) || type.equals(MediaTypes.DOCKER_SCHEMA1_SIGNED)) {
      throw new BlockliftException(
          what
              + " is a Docker schema 1 manifest, which is not supported; re-push the image"
              + " with a current client");
    }
    if (!MediaTypes.isIndex(type) && !MediaTypes.isImageManifest(type)) {
      throw new BlockliftException(what + " has unsupported media type " + type);
    }
    return new Document(type, json);
  }

  private static String stripParams(String contentType) {
    int semi = contentType.indexOf(';');
    return (semi >= 0 ? contentType.substring(0, semi) : contentType).strip();
  }

  /** The index entry for {@code platform}: the first match, in the index's order. */
  static Descriptor choose(Document index, Platform platform, String what) {
    List<String> available = new ArrayList<>();
    for (JsonNode m : index.json().path("manifests")) {
      JsonNode p = m.path("platform");
      String os = p.path("os").asText("");
      String arch = p.path("architecture").asText("");
      String variant = p.path("variant").asText("");
      if (!os.isEmpty()) {
        available.add(os + "/" + arch + (variant.isEmpty() ? "" : "/" + variant));
      }
      if (platform.matches(os, arch, variant)) {
        return descriptor(m, what);
      }
    }
    throw new BlockliftException(
        what
            + " has no image for platform "
            + platform
            + "; it has "
            + (available.isEmpty() ? "no platform entries" : String.join(", ", available))
            + " (choose one with --platform)");
  }

  static Descriptor config(Document manifest, String what) {
    JsonNode c = manifest.json().get("config");
    if (c == null || !c.isObject()) {
      throw new CorruptDataException(what + " has no config descriptor");
    }
    return descriptor(c, what);
  }

  static List<Descriptor> layers(Document manifest, String what) {
    JsonNode ls = manifest.json().get("layers");
    if (ls == null || !ls.isArray()) {
      throw new CorruptDataException(what + " has no layers array");
    }
    List<Descriptor> out = new ArrayList<>();
    for (JsonNode l : ls) {
      out.add(descriptor(l, what));
    }
    return out;
  }

  static List<Digest> diffIds(byte[] config, String what) {
    JsonNode json;
    try {
      json = JSON.readTree(config);
    } catch (IOException e) {
      throw new CorruptDataException(what + " is not valid JSON", e);
    }
    JsonNode ids = json == null ? null : json.path("rootfs").get("diff_ids");
    if (ids == null || !ids.isArray()) {
      throw new CorruptDataException(what + " has no rootfs.diff_ids");
    }
    List<Digest> out = new ArrayList<>();
    for (JsonNode id : ids) {
      out.add(parseDigest(id.asText(""), what));
    }
    return out;
  }

  private static Descriptor descriptor(JsonNode d, String what) {
    String mediaType = d.path("mediaType").asText("");
    JsonNode size = d.get("size");
    if (size == null || !size.canConvertToLong() || size.asLong() < 0) {
      throw new CorruptDataException(what + " has a descriptor without a valid size");
    }
    return new Descriptor(mediaType, parseDigest(d.path("digest").asText(""), what), size.asLong());
  }

  private static Digest parseDigest(String text, String what) {
    try {
      return Digest.parse(text);
    } catch (IllegalArgumentException e) {
      throw new CorruptDataException(what + ": " + e.getMessage(), e);
    }
  }
}
