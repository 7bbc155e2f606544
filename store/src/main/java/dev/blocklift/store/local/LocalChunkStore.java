package dev.blocklift.store.local;

import dev.blocklift.core.ChunkName;
import dev.blocklift.core.OwnerPid;
import dev.blocklift.store.ChunkBatch;
import dev.blocklift.store.ChunkStore;
import dev.blocklift.store.FsyncPolicy;
import dev.blocklift.store.StoredChunk;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * The embedded default chunk store: one file per chunk under {@code <root>/ab/cd/<name>} (two
 * levels of 256 directories keep each directory small up to hundreds of millions of chunks).
 *
 * <p>Writes are put-if-absent through {@link AtomicFiles#writeIfAbsent}: a temporary file in {@code
 * <root>/.staging/} (named after the writing process, see {@link OwnerPid}), fsync per {@link
 * FsyncPolicy}, hard link into place. A {@linkplain #batch() batch} links at once but defers every
 * fsync to its commit (see {@link Batch}). Every read hashes the bytes and compares them with the
 * name, so a bit flipped on disk surfaces as {@link dev.blocklift.core.CorruptChunkException},
 * never as wrong bytes.
 */
public final class LocalChunkStore implements ChunkStore {
  /** The directory of temporary files, on the chunks' filesystem (hard links need that). */
  static final String STAGING = ".staging";

  /** Files and directories synced at once by a batch commit. */
  private static final int SYNC_CONCURRENCY = 32;

  private final Path root;
  private final Path staging;
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
    this.staging = this.root.resolve(STAGING);
    this.fsync = fsync;
    this.clock = clock;
    Files.createDirectories(this.staging);
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
    checkName(name, ciphertext);
    Path target = path(name);
    if (Files.exists(target)) {
      return false;
    }
    return AtomicFiles.writeIfAbsent(staging, target, ciphertext, fsync);
  }

  private static void checkName(ChunkName name, byte[] ciphertext) {
    if (!name.matches(ciphertext)) {
      throw new IllegalArgumentException(
          "chunk bytes do not hash to their name "
              + name
              + " (they hash to "
              + ChunkName.ofCiphertext(ciphertext)
              + ")");
    }
  }

  /** A batch whose fsyncs wait for its {@link ChunkBatch#commit commit} ({@link Batch}). */
  @Override
  public ChunkBatch batch() {
    return new Batch();
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
   * Removes temporary files that a killed writer left behind: those named after a process that is
   * gone ({@link OwnerPid}) at any age, and those of older versions (no pid in the name) once older
   * than {@code age} (younger ones may belong to a writer still at work). A live writer's file is
   * never removed. Walks the whole store (garbage collection does); {@link
   * #removeLeftoverStagingFiles} looks at the staging directory only.
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
            if (isLeftover(p, attrs.lastModifiedTime().toInstant(), cutoff)
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

  /**
   * Removes the staging directory's temporary files whose writer is gone ({@link OwnerPid}), and
   * those of older versions older than {@code age}: cheap (one directory), so every conversion runs
   * it first.
   *
   * @return how many were removed
   */
  public int removeLeftoverStagingFiles(Duration age) throws IOException {
    var cutoff = clock.instant().minus(age);
    int removed = 0;
    try (var files = Files.newDirectoryStream(staging)) {
      for (Path p : files) {
        Instant modified;
        try {
          modified = Files.getLastModifiedTime(p).toInstant();
        } catch (NoSuchFileException e) {
          continue;
        }
        if (isLeftover(p, modified, cutoff) && Files.deleteIfExists(p)) {
          removed++;
        }
      }
    } catch (NoSuchFileException e) {
      return 0;
    }
    return removed;
  }

  private static boolean isLeftover(Path p, Instant modified, Instant cutoff) {
    if (!AtomicFiles.isTemp(p)) {
      return false;
    }
    var pid = OwnerPid.parse(p.getFileName().toString(), AtomicFiles.TEMP_PREFIX);
    if (pid.isPresent()) {
      return !OwnerPid.mayBeWriting(pid.getAsLong(), modified);
    }
    return modified.isBefore(cutoff);
  }

  /**
   * The local store's batch: chunks are written without fsync and linked into place at once (so a
   * re-run after a kill -9, which loses nothing the kernel already has, finds them), and {@link
   * #commit} makes them durable in one go before the manifest is published:
   *
   * <ol>
   *   <li>every chunk put or re-used through the batch is fsynced (its bytes and size), many at
   *       once (the kernel's journal then commits them together, instead of once per chunk);
   *   <li>with {@link FsyncPolicy#FULL}, every directory holding one of them, their parents and the
   *       root are fsynced, so the names survive too.
   * </ol>
   *
   * Why this is enough: a published manifest is durable only after its chunks' bytes and names are,
   * so a crash never leaves a manifest pointing at a lost chunk. Re-used chunks are synced too,
   * because a concurrent conversion may have linked one without having committed yet; except those
   * a manifest published earlier names that have not changed since ({@link
   * ChunkBatch#reusePublished}): that manifest's conversion committed them. A crash before the
   * commit may leave a chunk torn (short, typically empty) under its final name; nothing published
   * names it, and the next put of that name sees the wrong size and replaces it (re-use checks the
   * size too, when the caller knows it).
   */
  private final class Batch implements ChunkBatch {
    private final Set<ChunkName> pending = ConcurrentHashMap.newKeySet();

    @Override
    public boolean putIfAbsent(ChunkName name, byte[] ciphertext) throws IOException {
      checkName(name, ciphertext);
      Path target = path(name);
      pending.add(name);
      if (sizeOf(target) == ciphertext.length) {
        return false;
      }
      Files.createDirectories(target.getParent());
      Path temp = AtomicFiles.writeTemp(staging, ciphertext, false);
      try {
        if (AtomicFiles.link(temp, target)) {
          return true;
        }
        long size = sizeOf(target);
        if (size == ciphertext.length) {
          return false;
        }
        // Torn by a crash (or vanished meanwhile): replace it; a concurrent replacer writes the
        // same bytes.
        Files.move(
            temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return true;
      } finally {
        Files.deleteIfExists(temp);
      }
    }

    @Override
    public long reuse(ChunkName name, long expectedSize) throws IOException {
      long size = sizeOf(path(name));
      if (size < 0 || (expectedSize >= 0 && size != expectedSize) || !touch(name)) {
        return -1;
      }
      pending.add(name);
      return size;
    }

    @Override
    public long reusePublished(ChunkName name, Instant publishedBy) throws IOException {
      BasicFileAttributes a;
      try {
        a = Files.readAttributes(path(name), BasicFileAttributes.class);
      } catch (NoSuchFileException e) {
        return -1;
      }
      if (!touch(name)) {
        return -1;
      }
      // Timestamps are coarse (a jiffy): a second of margin before calling it unchanged.
      if (!a.lastModifiedTime().toInstant().isBefore(publishedBy.minusSeconds(1))) {
        pending.add(name);
      }
      return a.size();
    }

    @Override
    public void commit() throws IOException {
      List<ChunkName> names = List.copyOf(pending);
      if (fsync.syncFile()) {
        forEach(names, n -> syncIfPresent(path(n)));
      }
      if (fsync.syncDirectory()) {
        Set<Path> dirs = new HashSet<>();
        for (ChunkName n : names) {
          Path leaf = path(n).getParent();
          dirs.add(leaf);
          dirs.add(leaf.getParent());
        }
        dirs.add(root);
        forEach(List.copyOf(dirs), AtomicFiles::syncDirectory);
      }
      pending.removeAll(names);
    }

    private void syncIfPresent(Path file) throws IOException {
      try {
        AtomicFiles.syncFile(file);
      } catch (NoSuchFileException e) {
        // deleted meanwhile by a concurrent gc: the caller re-checks presence after committing
      }
    }
  }

  /** The size of {@code file}, or -1 if it does not exist. */
  private static long sizeOf(Path file) throws IOException {
    try {
      return Files.readAttributes(file, BasicFileAttributes.class).size();
    } catch (NoSuchFileException e) {
      return -1;
    }
  }

  /** An action on one path that may fail with an I/O error. */
  @FunctionalInterface
  private interface PathAction<T> {
    void run(T item) throws IOException;
  }

  /**
   * Runs {@code action} on every item, {@value #SYNC_CONCURRENCY} at once; the first error wins.
   */
  private static <T> void forEach(List<T> items, PathAction<T> action) throws IOException {
    if (items.isEmpty()) {
      return;
    }
    Semaphore slots = new Semaphore(SYNC_CONCURRENCY);
    AtomicReference<IOException> failure = new AtomicReference<>();
    try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
      for (T item : items) {
        if (failure.get() != null) {
          break;
        }
        slots.acquireUninterruptibly();
        ex.execute(
            () -> {
              try {
                action.run(item);
              } catch (IOException e) {
                failure.compareAndSet(null, e);
              } finally {
                slots.release();
              }
            });
      }
    }
    if (failure.get() != null) {
      throw failure.get();
    }
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
