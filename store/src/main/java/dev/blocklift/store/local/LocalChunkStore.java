package dev.blocklift.store.local;

import dev.blocklift.core.ChunkName;
import dev.blocklift.store.ChunkStore;
import dev.blocklift.store.FsyncPolicy;
import dev.blocklift.store.StoredChunk;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The embedded default chunk store: one file per chunk under {@code <root>/ab/cd/<name>} (two
 * levels of 256 directories keep each directory small up to hundreds of millions of chunks).
 *
 * <p>Writes are put-if-absent through {@link AtomicFiles#writeIfAbsent} (temporary file, fsync per
 * {@link FsyncPolicy}, hard link into place). Every read hashes the bytes and compares them with
 * the name, so a bit flipped on disk surfaces as {@link dev.blocklift.core.CorruptChunkException},
 * never as wrong bytes.
 */
public final class LocalChunkStore implements ChunkStore {
  private final Path root;
  private final FsyncPolicy fsync;
  private final Clock clock;

  /**
   * @param root the chunk directory (created if missing)
   * @param fsync how hard writes insist on reaching the disk
   */
  public LocalChunkStore(Path root, FsyncPolicy fsync) throws IOException {
    this(root, fsync, Clock.systemUTC());
  }

  LocalChunkStore(Path root, FsyncPolicy fsync, Clock clock) throws IOException {
    this.root = root.toAbsolutePath().normalize();
    this.fsync = fsync;
    this.clock = clock;
    Files.createDirectories(this.root);
  }

  /** The file a chunk is stored in (it may not exist). */
  public Path path(ChunkName name) {
    return root.resolve(name.prefix(2)).resolve(name.hex().substring(2, 4)).resolve(name.hex());
  }

  public Path root() {
    return root;
  }

  @Override
  public boolean putIfAbsent(ChunkName name, byte[] ciphertext) throws IOException {
    if (!name.matches(ciphertext)) {
      throw new IllegalArgumentException(
          "chunk bytes do not hash to their name "
              + name
              + " (they hash to "
              + ChunkName.ofCiphertext(ciphertext)
              + ")");
    }
    Path target = path(name);
    if (Files.exists(target)) {
      return false;
    }
    return AtomicFiles.writeIfAbsent(target, ciphertext, fsync);
  }

  @Override
  public Optional<byte[]> get(ChunkName name) throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(path(name));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    name.verify(bytes, describe());
    return Optional.of(bytes);
  }

  @Override
  public boolean exists(ChunkName name) {
    return Files.isRegularFile(path(name));
  }

  @Override
  @SuppressWarnings(
      "StreamResourceLeak") // the caller closes the returned stream, and with it the walk
  public Stream<StoredChunk> list() throws IOException {
    if (!Files.isDirectory(root)) {
      return Stream.empty();
    }
    return Files.walk(root, 3)
        .filter(p -> p.getNameCount() == root.getNameCount() + 3)
        .map(this::entry)
        .flatMap(Optional::stream);
  }

  private Optional<StoredChunk> entry(Path file) {
    String fileName = file.getFileName().toString();
    if (fileName.length() != ChunkName.HEX_LENGTH || AtomicFiles.isTemp(file)) {
      return Optional.empty();
    }
    ChunkName name;
    try {
      name = ChunkName.of(fileName);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    if (!file.equals(path(name))) {
      return Optional.empty();
    }
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      return Optional.of(new StoredChunk(name, a.size(), a.lastModifiedTime().toInstant()));
    } catch (NoSuchFileException e) {
      return Optional.empty(); // deleted while listing
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public Optional<StoredChunk> stat(ChunkName name) throws IOException {
    Path file = path(name);
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      return Optional.of(new StoredChunk(name, a.size(), a.lastModifiedTime().toInstant()));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  @Override
  public boolean touch(ChunkName name) throws IOException {
    try {
      Files.setLastModifiedTime(path(name), java.nio.file.attribute.FileTime.from(clock.instant()));
      return true;
    } catch (NoSuchFileException e) {
      return false;
    }
  }

  @Override
  public boolean delete(ChunkName name) throws IOException {
    return Files.deleteIfExists(path(name));
  }

  /**
   * Removes temporary files that a killed writer left behind and that are older than {@code age}
   * (younger ones may belong to a writer still at work).
   *
   * @return how many were removed
   */
  public int removeStaleTemporaryFiles(Duration age) throws IOException {
    if (!Files.isDirectory(root)) {
      return 0;
    }
    var cutoff = clock.instant().minus(age);
    int[] removed = {0};
    // walkFileTree, not Files.walk: a writer renaming its temporary file away mid-walk must not
    // fail the walk (Files.walk throws on an entry that vanished between listing and reading).
    Files.walkFileTree(
        root,
        java.util.EnumSet.noneOf(java.nio.file.FileVisitOption.class),
        3,
        new java.nio.file.SimpleFileVisitor<>() {
          @Override
          public java.nio.file.FileVisitResult visitFile(
              Path p, java.nio.file.attribute.BasicFileAttributes attrs) throws IOException {
            if (AtomicFiles.isTemp(p)
                && attrs.lastModifiedTime().toInstant().isBefore(cutoff)
                && Files.deleteIfExists(p)) {
              removed[0]++;
            }
            return java.nio.file.FileVisitResult.CONTINUE;
          }

          @Override
          public java.nio.file.FileVisitResult visitFileFailed(Path p, IOException e)
              throws IOException {
            if (e instanceof NoSuchFileException) {
              return java.nio.file.FileVisitResult.CONTINUE; // finished or removed meanwhile
            }
            throw e;
          }
        });
    return removed[0];
  }

  @Override
  public String describe() {
    return root.toUri().toString();
  }

  @Override
  public String toString() {
    return "LocalChunkStore[" + root + "]";
  }
}
