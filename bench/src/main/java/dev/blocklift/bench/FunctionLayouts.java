package dev.blocklift.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.blocklift.testing.FunctionImages;
import dev.blocklift.testing.oci.Blob;
import dev.blocklift.testing.oci.ImageSpec;
import dev.blocklift.testing.oci.Layer;
import dev.blocklift.testing.oci.OciLayoutWriter;
import dev.blocklift.testing.oci.TarEntry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The test function images of {@link FunctionImages} (the busybox+curl shell runtime and the Java
 * function on AWS's runtime interface client) as one OCI layout, tags {@code shell} and {@code
 * java}: each tree as a single gzip layer (modes, mtimes and symbolic links as on disk, owner root)
 * with FunctionImages' own config (Env, Entrypoint, Cmd, WorkingDir). The runtime interface
 * client's jars must be on the class path (the bench module's dependencies).
 *
 * <pre>
 * java -cp ... dev.blocklift.bench.FunctionLayouts LAYOUT WORKDIR
 * </pre>
 */
public final class FunctionLayouts {
  private static final ObjectMapper JSON = new ObjectMapper();

  private FunctionLayouts() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      System.err.println("usage: FunctionLayouts LAYOUT WORKDIR");
      System.exit(2);
    }
    Path layout = Path.of(args[0]);
    Path work = Files.createDirectories(Path.of(args[1]));
    OciLayoutWriter w = OciLayoutWriter.create(layout);
    FunctionImages.Tree shell =
        FunctionImages.shellRuntimeTree(Files.createDirectories(work.resolve("shell")));
    w.tag("shell", image(w, shell));
    FunctionImages.Tree java =
        FunctionImages.javaRuntimeTree(Files.createDirectories(work.resolve("java")));
    w.tag("java", image(w, java));
    w.writeIndex();
    System.out.println(layout);
  }

  private static Blob image(OciLayoutWriter w, FunctionImages.Tree tree) throws IOException {
    JsonNode config = JSON.readTree(tree.config()).path("config");
    ImageSpec spec =
        ImageSpec.linuxAmd64()
            .created(Instant.now().toString())
            .env(strings(config.path("Env")))
            .entrypoint(strings(config.path("Entrypoint")))
            .cmd(strings(config.path("Cmd")))
            .workingDir(config.path("WorkingDir").asText(""));
    return w.image(spec, layer(tree.dir()));
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  /** The tree as tar entries, parents first, in a stable order. */
  static Layer layer(Path root) throws IOException {
    Layer layer = Layer.of();
    List<Path> paths;
    try (Stream<Path> s = Files.walk(root)) {
      paths = s.filter(p -> !p.equals(root)).sorted().toList();
    }
    for (Path p : paths) {
      String name = root.relativize(p).toString();
      int mode = ((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS)) & 07777;
      FileTime mtime = Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS);
      Instant t = mtime.toInstant();
      TarEntry e;
      if (Files.isSymbolicLink(p)) {
        e = TarEntry.symlink(name, Files.readSymbolicLink(p).toString());
      } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        e = TarEntry.directory(name + "/").withMode(mode);
      } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
        long size = Files.size(p);
        e =
            TarEntry.file(name, new byte[0])
                .withMode(mode)
                .withData(
                    size,
                    () -> {
                      try {
                        return Files.newInputStream(p);
                      } catch (IOException x) {
                        throw new UncheckedIOException(x);
                      }
                    });
      } else {
        throw new IOException("not a file, directory or symbolic link: " + p);
      }
      layer.add(e.withOwner(0, 0).withMtime(t.getEpochSecond(), t.getNano()));
    }
    return layer;
  }
}
