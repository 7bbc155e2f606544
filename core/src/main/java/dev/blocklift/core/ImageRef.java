package dev.blocklift.core;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Where to read a source image from, in skopeo's transport syntax:
 *
 * <ul>
 *   <li>{@code oci:DIR[:TAG]} – an OCI image layout directory, optionally one tagged manifest;
 *   <li>{@code docker-archive:FILE} – a {@code docker save} tarball;
 *   <li>{@code docker://HOST[:PORT]/REPO[:TAG|@DIGEST]} – a registry (OCI distribution API).
 * </ul>
 */
public sealed interface ImageRef {

  record OciLayout(Path directory, Optional<String> tag) implements ImageRef {
    @Override
    public String toString() {
      return "oci:" + directory + tag.map(t -> ":" + t).orElse("");
    }
  }

  record DockerArchive(Path file) implements ImageRef {
    @Override
    public String toString() {
      return "docker-archive:" + file;
    }
  }

  /** A registry reference; exactly one of tag or digest is present. */
  record Registry(String host, String repository, Optional<String> tag, Optional<Digest> digest)
      implements ImageRef {
    public Registry {
      if (tag.isPresent() == digest.isPresent()) {
        throw new IllegalArgumentException("a registry reference has a tag or a digest, not both");
      }
    }

    /** The tag or digest as used in {@code /v2/<repo>/manifests/<reference>}. */
    public String reference() {
      return digest.map(Digest::toString).orElseGet(tag::orElseThrow);
    }

    @Override
    public String toString() {
      return "docker://"
          + host
          + "/"
          + repository
          + digest.map(d -> "@" + d).orElseGet(() -> ":" + tag.orElseThrow());
    }
  }

  static ImageRef parse(String text) {
    if (text.startsWith("oci:")) {
      String rest = text.substring("oci:".length());
      if (rest.isEmpty()) {
        throw new IllegalArgumentException(
            "oci: needs a directory, as in oci:/path/to/layout[:tag]");
      }
      int colon = rest.lastIndexOf(':');
      if (colon > 0 && rest.indexOf('/', colon) < 0) {
        return new OciLayout(
            Path.of(rest.substring(0, colon)), Optional.of(rest.substring(colon + 1)));
      }
      return new OciLayout(Path.of(rest), Optional.empty());
    }
    if (text.startsWith("docker-archive:")) {
      String rest = text.substring("docker-archive:".length());
      if (rest.isEmpty()) {
        throw new IllegalArgumentException(
            "docker-archive: needs a file, as in docker-archive:/path/image.tar");
      }
      return new DockerArchive(Path.of(rest));
    }
    if (text.startsWith("docker://")) {
      return parseRegistry(text.substring("docker://".length()), text);
    }
    throw new IllegalArgumentException(
        "image reference must start with oci:, docker-archive: or docker://, got \""
            + Hex.abbreviate(text)
            + "\"");
  }

  private static Registry parseRegistry(String rest, String original) {
    int slash = rest.indexOf('/');
    if (slash <= 0 || slash == rest.length() - 1) {
      throw new IllegalArgumentException(
          "registry reference must look like docker://HOST[:PORT]/REPO[:TAG|@DIGEST], got \""
              + Hex.abbreviate(original)
              + "\"");
    }
    String host = rest.substring(0, slash);
    String path = rest.substring(slash + 1);
    Optional<Digest> digest = Optional.empty();
    Optional<String> tag = Optional.empty();
    int at = path.indexOf('@');
    if (at >= 0) {
      digest = Optional.of(Digest.parse(path.substring(at + 1)));
      path = path.substring(0, at);
    } else {
      int colon = path.lastIndexOf(':');
      if (colon > path.lastIndexOf('/')) {
        tag = Optional.of(path.substring(colon + 1));
        path = path.substring(0, colon);
      } else {
        tag = Optional.of("latest");
      }
    }
    // Validates the repository spelling the same way published names are validated.
    new ImageName(path, tag.orElse("latest"));
    return new Registry(host, path, tag, digest);
  }
}
