package dev.blocklift.flatten.demo;

import dev.blocklift.core.Hex;
import dev.blocklift.core.Sha256;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes the small OCI image layout that {@code blocklift demo} flattens: three plain-tar layers
 * with files, directories, a whiteout, a hard link, symlinks, a device and a 1 MiB file, tagged
 * {@code latest}. Byte-for-byte deterministic, so the demo's output is too.
 */
public final class DemoImage {
  static final long MTIME = 1_704_067_200L; // 2024-01-01T00:00:00Z
  static final String LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar";

  private DemoImage() {}

  /** The layers' tar bytes, bottom first. */
  static List<byte[]> layers() {
    byte[] big = new byte[1 << 20];
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) (i * 31 + (i >>> 12));
    }
    byte[] base =
        new TarBuilder(MTIME)
            .dir("etc/", 0755)
            .file("etc/hostname", 0644, "blocklift-demo\n")
            .file("etc/motd", 0644, "version 1\n")
            .file("etc/remove-me", 0644, "deleted by the second layer\n")
            .dir("bin/", 0755)
            .file("bin/hello", 0755, "#!/bin/sh\necho hello from blocklift\n")
            .dir("usr/", 0755)
            .dir("usr/share/", 0755)
            .file("usr/share/big.bin", 0644, big)
            .dir("dev/", 0755)
            .charDevice("dev/null", 0666, 1, 3)
            .dir("tmp/", 01777)
            .finish();
    byte[] upper =
        new TarBuilder(MTIME + 60)
            .file("etc/.wh.remove-me", 0644, new byte[0])
            .file("etc/motd", 0644, "version 2: replaced by an upper layer\n")
            .hardLink("bin/hello-again", "bin/hello")
            .symlink("hello", "bin/hello")
            .finish();
    byte[] top =
        new TarBuilder(MTIME + 120)
            .dir("app/", 0755)
            .file("app/config.json", 0600, "{\"greeting\": \"hello\"}\n")
            .symlink("app/long-link", "../usr/share/" + "x".repeat(70))
            .finish();
    return List.of(base, upper, top);
  }

  /** Writes the layout into {@code dir} (created if needed); returns {@code dir}. */
  public static Path write(Path dir) throws IOException {
    Files.createDirectories(dir.resolve("blobs/sha256"));
    Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    List<String> layerDescs = new ArrayList<>();
    List<String> diffIds = new ArrayList<>();
    for (byte[] tar : layers()) {
      String digest = blob(dir, tar);
      layerDescs.add(descriptor(LAYER_TYPE, digest, tar.length));
      diffIds.add("\"" + digest + "\"");
    }
    byte[] config =
        ("{\"created\":\"2024-01-01T00:00:00Z\",\"architecture\":\"amd64\",\"os\":\"linux\","
                + "\"config\":{\"Cmd\":[\"/bin/hello\"]},"
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":["
                + String.join(",", diffIds)
                + "]}}")
            .getBytes(StandardCharsets.UTF_8);
    String configDigest = blob(dir, config);
    byte[] manifest =
        ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":"
                + descriptor(
                    "application/vnd.oci.image.config.v1+json", configDigest, config.length)
                + ",\"layers\":["
                + String.join(",", layerDescs)
                + "]}")
            .getBytes(StandardCharsets.UTF_8);
    String manifestDigest = blob(dir, manifest);
    Files.writeString(
        dir.resolve("index.json"),
        "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
            + "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\""
            + manifestDigest
            + "\",\"size\":"
            + manifest.length
            + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"latest\"},"
            + "\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}]}");
    return dir;
  }

  private static String descriptor(String mediaType, String digest, long size) {
    return "{\"mediaType\":\""
        + mediaType
        + "\",\"digest\":\""
        + digest
        + "\",\"size\":"
        + size
        + "}";
  }

  private static String blob(Path dir, byte[] data) throws IOException {
    String hex = Hex.encode(Sha256.hash(data));
    Files.write(dir.resolve("blobs/sha256").resolve(hex), data);
    return "sha256:" + hex;
  }
}
