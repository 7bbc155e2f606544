package dev.blocklift.registry;

import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.CorruptDataException;
import dev.blocklift.core.Digest;
import dev.blocklift.core.Hex;
import dev.blocklift.core.ImageRef;
import dev.blocklift.core.Platform;
import dev.blocklift.image.Descriptor;
import dev.blocklift.image.ImageSource;
import dev.blocklift.image.ResolvedImage;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An image in an OCI distribution registry ({@code docker://HOST[:PORT]/REPO[:TAG|@DIGEST]}).
 *
 * <p>Every byte that leaves this class is verified: manifests and the config are read whole
 * (bounded in size) and checked against their digests before they are parsed; blobs stream through
 * a {@link VerifyingInputStream} that fails at the end on a wrong size or digest, over a {@link
 * ResumableStream} that resumes with Range requests after resets. {@link #openBlob} may be called
 * from many threads at once; each call is its own HTTP exchange.
 */
public final class RegistryImageSource implements ImageSource {
  /** Manifests larger than this are refused (containerd uses the same bound). */
  static final int MAX_MANIFEST_BYTES = 4 << 20;

  /** Configs larger than this are refused: they are read into memory. */
  static final int MAX_CONFIG_BYTES = 32 << 20;

  private final ImageRef.Registry ref;
  private final String repository;
  private final String scope;
  private final RegistryClient client;
  private final RegistrySettings settings;

  private RegistryImageSource(ImageRef.Registry ref, RegistrySettings settings) {
    this.ref = ref;
    this.settings = settings;
    String apiHost = ref.host();
    String repo = ref.repository();
    if (apiHost.equals("docker.io") || apiHost.equals("index.docker.io")) {
      apiHost = "registry-1.docker.io";
      if (repo.indexOf('/') < 0) {
        repo = "library/" + repo;
      }
    }
    this.repository = repo;
    this.scope = "repository:" + repo + ":pull";
    this.client = new RegistryClient(apiHost, settings, settings.credentials().lookup(ref.host()));
  }

  /** A source for {@code ref}; nothing is fetched until {@link #resolve}. */
  public static RegistryImageSource open(ImageRef.Registry ref, RegistrySettings settings) {
    return new RegistryImageSource(ref, settings);
  }

  @Override
  public String describe() {
    return ref.toString();
  }

  @Override
  public ResolvedImage resolve(Platform platform) throws IOException {
    Fetched top = fetchManifest(ref.reference(), ref.digest(), Optional.empty());
    ManifestParser.Document doc = ManifestParser.parse(top.bytes, top.contentType, describe());
    Digest manifestDigest = top.digest;
    String what = describe();
    if (MediaTypes.isIndex(doc.mediaType())) {
      Descriptor entry = ManifestParser.choose(doc, platform, describe());
      what = describe() + " (" + platform + ", " + entry.digest() + ")";
      Fetched child =
          fetchManifest(entry.digest().toString(), Optional.of(entry.digest()), Optional.of(entry));
      doc = ManifestParser.parse(child.bytes, child.contentType, what);
      if (!MediaTypes.isImageManifest(doc.mediaType())) {
        throw new BlockliftException(
            what + " is an index inside an index; nested indexes are not supported");
      }
      manifestDigest = child.digest;
    }
    Descriptor configDesc = ManifestParser.config(doc, what);
    List<Descriptor> layers = ManifestParser.layers(doc, what);
    byte[] config = fetchConfig(configDesc);
    List<Digest> diffIds = ManifestParser.diffIds(config, "config " + configDesc.digest());
    if (diffIds.size() != layers.size()) {
      throw new CorruptDataException(
          what
              + " lists "
              + layers.size()
              + " layers but its config has "
              + diffIds.size()
              + " diff_ids");
    }
    return new ResolvedImage(manifestDigest, config, layers, diffIds);
  }

  @SuppressWarnings("ArrayRecordComponent") // private, never handed out
  private record Fetched(byte[] bytes, Digest digest, Optional<String> contentType) {}

  /**
   * Fetches a manifest by tag or digest, read whole up to {@link #MAX_MANIFEST_BYTES}. A digest
   * reference (or an index entry) must match the bytes; for a tag, a {@code Docker-Content-Digest}
   * header, if sent, must match.
   */
  private Fetched fetchManifest(
      String reference, Optional<Digest> expected, Optional<Descriptor> descriptor)
      throws IOException {
    String name =
        ref.host() + "/" + ref.repository() + (expected.isPresent() ? "@" : ":") + reference;
    String what = "manifest " + name;
    try (RegistryResponse r =
        client.get(
            "/v2/" + repository + "/manifests/" + reference,
            Map.of("Accept", MediaTypes.ACCEPT),
            scope,
            what)) {
      if (r.status() == 404) {
        throw new BlockliftException(
            "docker://"
                + name
                + " not found ("
                + r.errorSummary()
                + "); check the repository name and "
                + (expected.isPresent() ? "digest" : "tag"));
      }
      if (!r.ok()) {
        throw new BlockliftException(what + " could not be fetched: " + r.errorSummary());
      }
      byte[] bytes = readBounded(r.body(), MAX_MANIFEST_BYTES, what);
      Digest algorithmOf = expected.orElse(null);
      Digest actual = digestOf(bytes, algorithmOf == null ? "sha256" : algorithmOf.algorithm());
      if (expected.isPresent() && !actual.equals(expected.get())) {
        throw new CorruptDataException(
            what
                + " has digest "
                + actual
                + " but "
                + expected.get()
                + " was asked for; refusing it");
      }
      if (descriptor.isPresent() && descriptor.get().size() != bytes.length) {
        throw new CorruptDataException(
            what
                + " is "
                + bytes.length
                + " bytes but its index entry says "
                + descriptor.get().size());
      }
      Optional<String> header = r.headers().firstValue("docker-content-digest");
      if (expected.isEmpty() && header.isPresent()) {
        Digest claimed;
        try {
          claimed = Digest.parse(header.get().strip());
        } catch (IllegalArgumentException e) {
          throw new CorruptDataException(what + " came with a malformed Docker-Content-Digest", e);
        }
        if (!digestOf(bytes, claimed.algorithm()).equals(claimed)) {
          throw new CorruptDataException(
              what + " does not match its Docker-Content-Digest " + claimed + "; refusing it");
        }
      }
      return new Fetched(bytes, actual, r.headers().firstValue("content-type"));
    }
  }

  private byte[] fetchConfig(Descriptor d) throws IOException {
    if (d.size() > MAX_CONFIG_BYTES) {
      throw new BlockliftException(
          "config "
              + d.digest()
              + " of "
              + describe()
              + " is "
              + d.size()
              + " bytes; the limit is "
              + MAX_CONFIG_BYTES);
    }
    try (InputStream in = openBlob(d)) {
      return in.readAllBytes();
    }
  }

  @Override
  public InputStream openBlob(Descriptor blob) throws IOException {
    String what = "blob " + blob.digest() + " of " + describe();
    String path = "/v2/" + repository + "/blobs/" + blob.digest();
    ResumableStream body =
        new ResumableStream(
            offset -> openAt(path, offset, what), blob.size(), settings.retry(), what);
    return new VerifyingInputStream(body, blob.digest(), blob.size(), what);
  }

  /** Opens the blob at {@code offset}: a Range request, or skipping when Range is ignored. */
  private InputStream openAt(String path, long offset, String what) throws IOException {
    Map<String, String> headers = offset > 0 ? Map.of("Range", "bytes=" + offset + "-") : Map.of();
    RegistryResponse r = client.get(path, headers, scope, what);
    boolean handedOver = false;
    try {
      if (r.status() == 404) {
        throw new BlockliftException(
            what + " not found in the registry (" + r.errorSummary() + ")");
      }
      if (r.status() == 416) {
        throw new CorruptDataException(
            what + " is shorter than its declared size: the registry has no byte " + offset);
      }
      if (r.status() == 206) {
        long start = rangeStart(r.headers().firstValue("content-range").orElse(""));
        if (start != offset) {
          throw new IOException(
              what + ": asked to resume at byte " + offset + ", the server answered from " + start);
        }
        handedOver = true;
        return r.body();
      }
      if (r.status() != 200) {
        throw new BlockliftException(what + " could not be fetched: " + r.errorSummary());
      }
      InputStream in = r.body();
      // The server ignored Range: read past what we already have.
      long toSkip = offset;
      byte[] buf = new byte[64 * 1024];
      while (toSkip > 0) {
        int n = in.read(buf, 0, (int) Math.min(buf.length, toSkip));
        if (n < 0) {
          throw new IOException(what + ": body ended while skipping to byte " + offset);
        }
        toSkip -= n;
      }
      handedOver = true;
      return in;
    } finally {
      if (!handedOver) {
        r.close();
      }
    }
  }

  /** The first byte of a {@code Content-Range: bytes START-END/TOTAL} header, or -1. */
  static long rangeStart(String contentRange) {
    String s = contentRange.strip();
    if (!s.startsWith("bytes ")) {
      return -1;
    }
    int dash = s.indexOf('-');
    try {
      return dash < 0 ? -1 : Long.parseLong(s.substring(6, dash).strip());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static byte[] readBounded(InputStream in, int limit, String what) throws IOException {
    byte[] bytes = in.readNBytes(limit + 1);
    if (bytes.length > limit) {
      throw new BlockliftException(what + " is larger than " + limit + " bytes; refusing it");
    }
    return bytes;
  }

  private static Digest digestOf(byte[] bytes, String algorithm) {
    Digest probe = new Digest(algorithm, "0".repeat(algorithm.equals("sha512") ? 128 : 64));
    MessageDigest md = probe.newMessageDigest();
    return new Digest(algorithm, Hex.encode(md.digest(bytes)));
  }

  @Override
  public void close() {
    client.close();
  }
}
