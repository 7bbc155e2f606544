package dev.blocklift.registry;

import dev.blocklift.core.Digest;
import dev.blocklift.image.Descriptor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * A small OCI image layout written by the test: seeded random files in tar layers (gzip or plain),
 * configs, manifests, indexes and tags in {@code index.json}. Everything it writes is remembered,
 * so tests compare what a registry serves with what was pushed.
 */
final class OciFixture {
  static final String LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
  static final String LAYER_TAR = "application/vnd.oci.image.layer.v1.tar";

  /** One image as written: its manifest descriptor and bytes, config and layers. */
  @SuppressWarnings("ArrayRecordComponent") // test data, never mutated
  record Image(
      Descriptor manifest,
      byte[] manifestBytes,
      byte[] config,
      List<Descriptor> layers,
      List<Digest> diffIds) {}

  private final Path dir;
  private final Map<String, Descriptor> tags = new LinkedHashMap<>();
  private final Map<Digest, Path> blobs = new LinkedHashMap<>();

  OciFixture(Path dir) throws IOException {
    this.dir = Files.createDirectories(dir);
    Files.createDirectories(dir.resolve("blobs/sha256"));
    Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
  }

  Path dir() {
    return dir;
  }

  byte[] blob(Digest d) throws IOException {
    return Files.readAllBytes(blobs.get(d));
  }

  Descriptor writeBlob(String mediaType, byte[] bytes) throws IOException {
    Digest d = Digest.sha256(bytes);
    Path p = dir.resolve("blobs/sha256/" + d.hex());
    Files.write(p, bytes);
    blobs.put(d, p);
    return new Descriptor(mediaType, d, bytes.length);
  }

  /** A tar of {@code files} random files of up to {@code maxFileSize} bytes. */
  static byte[] randomTar(SplittableRandom random, int files, int maxFileSize) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (int i = 0; i < files; i++) {
        byte[] data = new byte[random.nextInt(maxFileSize + 1)];
        random.nextBytes(data);
        TarArchiveEntry e = new TarArchiveEntry("dir" + (i % 3) + "/file" + i + ".bin");
        e.setSize(data.length);
        e.setMode(0644);
        e.setModTime(1_700_000_000_000L);
        tar.putArchiveEntry(e);
        tar.write(data);
        tar.closeArchiveEntry();
      }
    }
    return bytes.toByteArray();
  }

  static byte[] gzip(byte[] plain) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (OutputStream gz = new GZIPOutputStream(out)) {
      gz.write(plain);
    }
    return out.toByteArray();
  }

  /** Writes an image with one layer per tar; gzip-compressed unless {@code plain}. */
  Image image(String architecture, List<byte[]> tars, boolean plain) throws IOException {
    List<Descriptor> layers = new ArrayList<>();
    List<Digest> diffIds = new ArrayList<>();
    for (byte[] tar : tars) {
      diffIds.add(Digest.sha256(tar));
      layers.add(plain ? writeBlob(LAYER_TAR, tar) : writeBlob(LAYER_GZIP, gzip(tar)));
    }
    StringBuilder ids = new StringBuilder();
    for (Digest d : diffIds) {
      ids.append(ids.isEmpty() ? "" : ",").append('"').append(d).append('"');
    }
    byte[] config =
        ("{\"architecture\":\""
                + architecture
                + "\",\"os\":\"linux\",\"config\":{\"Env\":[\"PATH=/bin\"]},"
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":["
                + ids
                + "]}}")
            .getBytes(StandardCharsets.UTF_8);
    Descriptor configDesc = writeBlob("application/vnd.oci.image.config.v1+json", config);
    StringBuilder ls = new StringBuilder();
    for (Descriptor l : layers) {
      ls.append(ls.isEmpty() ? "" : ",").append(json(l));
    }
    byte[] manifest =
        ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":"
                + json(configDesc)
                + ",\"layers\":["
                + ls
                + "]}")
            .getBytes(StandardCharsets.UTF_8);
    Descriptor m = writeBlob("application/vnd.oci.image.manifest.v1+json", manifest);
    return new Image(m, manifest, config, layers, diffIds);
  }

  /** Writes an index over {@code images} (amd64, arm64, ... as their configs say). */
  Descriptor index(List<Image> images, List<String> architectures) throws IOException {
    StringBuilder ms = new StringBuilder();
    for (int i = 0; i < images.size(); i++) {
      Descriptor d = images.get(i).manifest();
      String arch = architectures.get(i);
      ms.append(i == 0 ? "" : ",")
          .append(json(d), 0, json(d).length() - 1)
          .append(",\"platform\":{\"architecture\":\"")
          .append(arch)
          .append("\",\"os\":\"linux\"")
          .append(arch.equals("arm64") ? ",\"variant\":\"v8\"" : "")
          .append("}}");
    }
    byte[] index =
        ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
                + "\"manifests\":["
                + ms
                + "]}")
            .getBytes(StandardCharsets.UTF_8);
    return writeBlob("application/vnd.oci.image.index.v1+json", index);
  }

  void tag(String tag, Descriptor d) throws IOException {
    tags.put(tag, d);
    StringBuilder ms = new StringBuilder();
    for (Map.Entry<String, Descriptor> e : tags.entrySet()) {
      String j = json(e.getValue());
      ms.append(ms.isEmpty() ? "" : ",")
          .append(j, 0, j.length() - 1)
          .append(",\"annotations\":{\"org.opencontainers.image.ref.name\":\"")
          .append(e.getKey())
          .append("\"}}");
    }
    Files.writeString(
        dir.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[" + ms + "]}");
  }

  static String json(Descriptor d) {
    return "{\"mediaType\":\""
        + d.mediaType()
        + "\",\"digest\":\""
        + d.digest()
        + "\",\"size\":"
        + d.size()
        + "}";
  }
}
