package dev.blocklift.testing.oci;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** The config of a fixture image. Mutable builder; defaults: linux/amd64, created 2023-11-14. */
public final class ImageSpec {
  String os = "linux";
  String architecture = "amd64";
  Optional<String> variant = Optional.empty();
  String created = "2023-11-14T22:13:20Z";
  List<String> entrypoint = List.of();
  List<String> cmd = List.of("/bin/sh");
  List<String> env = List.of("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  String workingDir = "";
  String user = "";
  final Map<String, String> labels = new TreeMap<>();
  final Map<Integer, String> diffIdOverrides = new HashMap<>();

  public static ImageSpec linuxAmd64() {
    return new ImageSpec();
  }

  public ImageSpec platform(String platform) {
    String[] p = platform.split("/");
    os = p[0];
    architecture = p[1];
    variant = p.length > 2 ? Optional.of(p[2]) : Optional.empty();
    return this;
  }

  public String platform() {
    return os + "/" + architecture + variant.map(v -> "/" + v).orElse("");
  }

  public ImageSpec created(String rfc3339) {
    created = rfc3339;
    return this;
  }

  public ImageSpec entrypoint(List<String> e) {
    entrypoint = List.copyOf(e);
    return this;
  }

  public ImageSpec cmd(List<String> c) {
    cmd = List.copyOf(c);
    return this;
  }

  public ImageSpec env(List<String> e) {
    env = List.copyOf(e);
    return this;
  }

  public ImageSpec workingDir(String w) {
    workingDir = w;
    return this;
  }

  public ImageSpec user(String u) {
    user = u;
    return this;
  }

  public ImageSpec label(String k, String v) {
    labels.put(k, v);
    return this;
  }

  /** Writes a wrong diff_id for layer {@code index} into the config (digest-mismatch tests). */
  public ImageSpec diffIdOverride(int index, String digest) {
    diffIdOverrides.put(index, digest);
    return this;
  }
}
