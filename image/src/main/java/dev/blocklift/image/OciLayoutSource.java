package dev.blocklift.image;

import com.fasterxml.jackson.databind.JsonNode;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.CorruptDataException;
import dev.blocklift.core.Digest;
import dev.blocklift.core.Platform;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * An OCI image layout directory ({@code oci-layout}, {@code index.json}, {@code blobs/ALG/HEX}).
 *
 * <p>Resolution: the top-level index's entries are filtered by tag (annotation {@code
 * org.opencontainers.image.ref.name}) when one is given; nested indexes are followed (depth at most
 * {@value #MAX_DEPTH}); a manifest matches when its index entry's platform matches, or, for an
 * entry without a platform, when its config's os/architecture match. Exactly one distinct manifest
 * must match, otherwise the error lists the tags and platforms that are there.
 */
final class OciLayoutSource implements ImageSource {
  static final String REF_NAME = "org.opencontainers.image.ref.name";
  private static final int MAX_DEPTH = 8;

  private final Path dir;
  private final Optional<String> tag;

  private OciLayoutSource(Path dir, Optional<String> tag) {
    this.dir = dir;
    this.tag = tag;
  }

  static OciLayoutSource open(Path dir, Optional<String> tag) throws IOException {
    Path layout = dir.resolve("oci-layout");
    if (!Files.isDirectory(dir)) {
      throw new BlockliftException("OCI layout directory " + dir + " does not exist");
    }
    if (!Files.isRegularFile(layout)) {
      throw new BlockliftException(dir + " is not an OCI image layout: it has no oci-layout file");
    }
    JsonNode l =
        Json.parse(Json.readSmall(Files.newInputStream(layout), "oci-layout"), layout.toString());
    String version = l.path("imageLayoutVersion").asText("");
    if (!version.startsWith("1.")) {
      throw new BlockliftException(
          layout + " has imageLayoutVersion \"" + version + "\"; only 1.x is supported");
    }
    return new OciLayoutSource(dir, tag);
  }

  @Override
  public String describe() {
    return "oci:" + dir + tag.map(t -> ":" + t).orElse("");
  }

  /** One manifest reachable from the index, with what the index says about it. */
  private record Candidate(Descriptor manifest, Optional<String> platform, Optional<String> tag) {}

  @Override
  public ResolvedImage resolve(Platform platform) throws IOException {
    Path indexPath = dir.resolve("index.json");
    if (!Files.isRegularFile(indexPath)) {
      throw new BlockliftException(dir + " is not an OCI image layout: it has no index.json");
    }
    JsonNode index =
        Json.parse(
            Json.readSmall(Files.newInputStream(indexPath), "index.json"), indexPath.toString());
    List<Candidate> all = new ArrayList<>();
    JsonNode top = index.path("manifests");
    if (!top.isArray()) {
      throw new CorruptDataException(indexPath + " has no manifests array");
    }
    TreeSet<String> tags = new TreeSet<>();
    int i = 0;
    for (JsonNode entry : top) {
      Descriptor d = Json.descriptor(entry, indexPath + " entry " + i++);
      Optional<String> entryTag =
          Optional.ofNullable(entry.path("annotations").path(REF_NAME).textValue());
      entryTag.ifPresent(tags::add);
      if (tag.isPresent() && !tag.equals(entryTag)) {
        continue;
      }
      collect(d, platformOf(entry), entryTag, 0, all);
    }
    if (tag.isPresent() && all.isEmpty()) {
      throw new BlockliftException(
          "no image tagged \"" + tag.get() + "\" in " + dir + "; tags there: " + list(tags));
    }
    Map<Digest, Candidate> matches = new LinkedHashMap<>();
    for (Candidate c : all) {
      if (c.platform().isPresent()
          ? matches(platform, c.platform().get())
          : configMatches(c.manifest(), platform)) {
        matches.putIfAbsent(c.manifest().digest(), c);
      }
    }
    if (matches.isEmpty()) {
      TreeSet<String> platforms = new TreeSet<>();
      for (Candidate c : all) {
        platforms.add(c.platform().orElse("(unspecified)"));
      }
      throw new BlockliftException(
          "no image for platform "
              + platform
              + " in "
              + describe()
              + "; platforms there: "
              + list(platforms)
              + ", tags: "
              + list(tags)
              + " (choose with --platform or oci:DIR:TAG)");
    }
    if (matches.size() > 1) {
      TreeSet<String> matchingTags = new TreeSet<>();
      for (Candidate c : matches.values()) {
        matchingTags.add(c.tag().orElse("(untagged " + c.manifest().digest().shortHex() + ")"));
      }
      throw new BlockliftException(
          matches.size()
              + " images in "
              + describe()
              + " match platform "
              + platform
              + "; choose one with oci:DIR:TAG, tags: "
              + list(matchingTags));
    }
    Descriptor chosen = matches.values().iterator().next().manifest();
    byte[] manifest = readVerified(chosen, "manifest " + chosen.digest());
    return Manifests.resolve(chosen.digest(), manifest, this::readVerified);
  }

  private void collect(
      Descriptor d, Optional<String> platform, Optional<String> tag, int depth, List<Candidate> out)
      throws IOException {
    if (depth > MAX_DEPTH) {
      throw new CorruptDataException(
          "indexes in " + dir + " nest deeper than " + MAX_DEPTH + " levels at " + d.digest());
    }
    String type = d.mediaType();
    if (MediaTypes.isManifest(type)) {
      out.add(new Candidate(d, platform, tag));
      return;
    }
    if (!MediaTypes.isIndex(type) && !type.isEmpty()) {
      return; // artifacts, signatures, attestations: not images
    }
    byte[] blob = readVerified(d, "index " + d.digest());
    JsonNode n = Json.parse(blob, "blob " + d.digest());
    String declared = n.path("mediaType").asText("");
    if (type.isEmpty() && !n.path("manifests").isArray()) {
      if (n.path("layers").isArray() || MediaTypes.isManifest(declared)) {
        out.add(new Candidate(d, platform, tag));
      }
      return;
    }
    int i = 0;
    for (JsonNode entry : n.path("manifests")) {
      Descriptor child = Json.descriptor(entry, "index " + d.digest() + " entry " + i++);
      collect(child, platformOf(entry), tag, depth + 1, out);
    }
  }

  private static Optional<String> platformOf(JsonNode entry) {
    JsonNode p = entry.path("platform");
    if (!p.isObject() || !p.path("os").isTextual() || !p.path("architecture").isTextual()) {
      return Optional.empty();
    }
    String v = p.path("variant").asText("");
    return Optional.of(
        p.path("os").textValue()
            + "/"
            + p.path("architecture").textValue()
            + (v.isEmpty() ? "" : "/" + v));
  }

  private static boolean matches(Platform want, String have) {
    String[] parts = have.split("/", 3);
    return want.matches(parts[0], parts[1], parts.length > 2 ? parts[2] : "");
  }

  private boolean configMatches(Descriptor manifestDescriptor, Platform platform)
      throws IOException {
    byte[] manifest = readVerified(manifestDescriptor, "manifest " + manifestDescriptor.digest());
    JsonNode m = Json.parse(manifest, "manifest " + manifestDescriptor.digest());
    Descriptor config = Json.descriptor(m.path("config"), "manifest config");
    ImageConfig c = ImageConfig.parse(readVerified(config, "config " + config.digest()));
    return platform.matches(c.os(), c.architecture(), c.variant().orElse(""));
  }

  private static String list(java.util.SortedSet<String> values) {
    return values.isEmpty() ? "(none)" : String.join(", ", values);
  }

  private Path blobPath(Digest digest) {
    return dir.resolve("blobs").resolve(digest.algorithm()).resolve(digest.hex());
  }

  private byte[] readVerified(Descriptor d, String what) throws IOException {
    byte[] data = Json.readSmall(openBlob(d), what, d.size());
    Json.verify(data, d.digest(), d.size(), what);
    return data;
  }

  @Override
  public InputStream openBlob(Descriptor blob) throws IOException {
    try {
      return Files.newInputStream(blobPath(blob.digest()));
    } catch (NoSuchFileException e) {
      throw new BlockliftException(
          "blob " + blob.digest() + " is missing from OCI layout " + dir, e);
    }
  }
}
