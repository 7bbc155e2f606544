package dev.blocklift.store.local;

import dev.blocklift.core.ImageName;
import dev.blocklift.store.FsyncPolicy;
import dev.blocklift.store.ManifestKeys;
import dev.blocklift.store.ManifestStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Published manifests as files: {@code <root>/<repository>/_tags/<tag>} (see {@link ManifestKeys}).
 * Publishing writes a temporary file and renames it over the old one, so readers see the old
 * manifest or the new one, whole. Manifest files are 0600.
 */
public final class LocalManifestStore implements ManifestStore {
  private final Path root;
  private final FsyncPolicy fsync;

  public LocalManifestStore(Path root, FsyncPolicy fsync) throws IOException {
    this.root = root.toAbsolutePath().normalize();
    this.fsync = fsync;
    Files.createDirectories(this.root);
  }

  /** The file of a published manifest (it may not exist). */
  public Path path(ImageName name) {
    return root.resolve(ManifestKeys.key(name));
  }

  @Override
  public void publish(ImageName name, byte[] manifest) throws IOException {
    AtomicFiles.writeReplacing(path(name), manifest, fsync, true);
  }

  @Override
  public Optional<byte[]> get(ImageName name) throws IOException {
    try {
      return Optional.of(Files.readAllBytes(path(name)));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  @Override
  public List<ImageName> list() throws IOException {
    List<ImageName> names = new ArrayList<>();
    if (!Files.isDirectory(root)) {
      return names;
    }
    try (Stream<Path> files = Files.walk(root)) {
      files
          .filter(p -> !AtomicFiles.isTemp(p) && Files.isRegularFile(p))
          .map(p -> root.relativize(p).toString().replace(p.getFileSystem().getSeparator(), "/"))
          .map(ManifestKeys::parse)
          .flatMap(Optional::stream)
          .forEach(names::add);
    }
    names.sort(null);
    return names;
  }

  @Override
  public boolean delete(ImageName name) throws IOException {
    return Files.deleteIfExists(path(name));
  }

  @Override
  public String describe() {
    return root.toUri().toString();
  }
}
