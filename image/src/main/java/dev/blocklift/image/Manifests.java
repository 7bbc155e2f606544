package dev.blocklift.image;

import com.fasterxml.jackson.databind.JsonNode;
import dev.blocklift.core.CorruptDataException;
import dev.blocklift.core.Digest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns an image manifest (OCI or docker v2) into a {@link ResolvedImage}, verifying the config.
 */
final class Manifests {
  private Manifests() {}

  /** Fetches blobs by descriptor; used for the config. */
  interface BlobReader {
    byte[] read(Descriptor d, String what) throws IOException;
  }

  static ResolvedImage resolve(Digest manifestDigest, byte[] manifestJson, BlobReader blobs)
      throws IOException {
    String what = "manifest " + manifestDigest;
    JsonNode m = Json.parse(manifestJson, what);
    Descriptor config = Json.descriptor(m.path("config"), what + " config");
    JsonNode layersNode = m.path("layers");
    if (!layersNode.isArray()) {
      throw new CorruptDataException(what + " has no layers array");
    }
    List<Descriptor> layers = new ArrayList<>();
    int i = 0;
    for (JsonNode l : layersNode) {
      layers.add(Json.descriptor(l, what + " layer " + i++));
    }
    byte[] configJson = blobs.read(config, "config " + config.digest());
    return new ResolvedImage(
        manifestDigest, configJson, layers, diffIds(configJson, layers.size()));
  }

  /** The config's {@code rootfs.diff_ids}, checked against the number of layers. */
  static List<Digest> diffIds(byte[] configJson, int layerCount) {
    JsonNode c = Json.parse(configJson, "image config");
    JsonNode ids = c.path("rootfs").path("diff_ids");
    if (!ids.isArray()) {
      throw new CorruptDataException("image config has no rootfs.diff_ids array");
    }
    List<Digest> out = new ArrayList<>();
    for (JsonNode id : ids) {
      try {
        out.add(Digest.parse(id.asText("")));
      } catch (IllegalArgumentException e) {
        throw new CorruptDataException(
            "image config rootfs.diff_ids: " + dev.blocklift.core.Failures.describe(e), e);
      }
    }
    if (out.size() != layerCount) {
      throw new CorruptDataException(
          "image config lists "
              + out.size()
              + " diff_ids but the manifest has "
              + layerCount
              + " layers");
    }
    return out;
  }
}
