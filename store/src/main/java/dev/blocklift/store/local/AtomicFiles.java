package dev.blocklift.store.local;

import dev.blocklift.core.OwnerPid;
import dev.blocklift.store.FsyncPolicy;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Crash-safe file writes: bytes go to a temporary file on the destination's filesystem (so the
 * final step never crosses one), are fsynced according to the {@link FsyncPolicy}, and then appear
 * under their final name in one step. Temporary files are named {@value #TEMP_PREFIX}{@code
 * <pid>-<random>} (older versions wrote {@value #TEMP_PREFIX}{@code <random>}), so listings skip
 * them and clean-ups can tell a killed writer's leftovers ({@link OwnerPid}) from a live writer's.
 */
final class AtomicFiles {
  static final String TEMP_PREFIX = ".tmp-";

  private AtomicFiles() {}

  static boolean isTemp(Path file) {
    return file.getFileName().toString().startsWith(TEMP_PREFIX);
  }

  /**
   * Writes {@code bytes} to {@code target} unless it exists: the temporary file (in {@code
   * staging}, on the target's filesystem) is hard-linked to the target, which fails if the target
   * exists, so of many concurrent writers exactly one wins.
   *
   * @return true if this call created the target
   */
  static boolean writeIfAbsent(Path staging, Path target, byte[] bytes, FsyncPolicy fsync)
      throws IOException {
    Path dir = target.getParent();
    Files.createDirectories(dir);
    Path temp = writeTemp(staging, bytes, fsync.syncFile());
    try {
      if (!link(temp, target)) {
        return false;
      }
      if (fsync.syncDirectory()) {
        syncDirectory(dir);
      }
      return true;
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /**
   * Gives {@code temp}'s file the name {@code target} unless that exists (the temporary name stays
   * too; the caller deletes it).
   *
   * @return true if this call created the target
   */
  static boolean link(Path temp, Path target) throws IOException {
    try {
      Files.createLink(target, temp);
      return true;
    } catch (FileAlreadyExistsException e) {
      return false;
    } catch (UnsupportedOperationException e) {
      // A filesystem without hard links: a no-replace rename is not available in Java, so
      // check-then-move; concurrent writers of one name write identical bytes anyway.
      if (Files.exists(target)) {
        return false;
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      return true;
    }
  }

  /** Writes {@code bytes} to {@code target}, replacing what is there, in one atomic step. */
  static void writeReplacing(Path target, byte[] bytes, FsyncPolicy fsync) throws IOException {
    writeReplacing(target, bytes, fsync, false);
  }

  /**
   * As {@link #writeReplacing(Path, byte[], FsyncPolicy)}; with {@code ownerOnly} the file is made
   * 0600 before it is visible (manifests: nobody else reads what an image is).
   */
  static void writeReplacing(Path target, byte[] bytes, FsyncPolicy fsync, boolean ownerOnly)
      throws IOException {
    Path dir = target.getParent();
    Files.createDirectories(dir);
    Path temp = writeTemp(dir, bytes, fsync.syncFile(), ownerOnly);
    try {
      try {
        Files.move(
            temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("the filesystem of " + dir + " cannot rename atomically", e);
      }
      if (fsync.syncDirectory()) {
        syncDirectory(dir);
      }
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /** Writes {@code bytes} to a new temporary file of this process in {@code dir}. */
  static Path writeTemp(Path dir, byte[] bytes, boolean sync) throws IOException {
    return writeTemp(dir, bytes, sync, false);
  }

  /**
   * As {@link #writeTemp(Path, byte[], boolean)}; 0600 from its creation with {@code ownerOnly}.
   */
  static Path writeTemp(Path dir, byte[] bytes, boolean sync, boolean ownerOnly)
      throws IOException {
    Path temp =
        dir.resolve(
            OwnerPid.tag(TEMP_PREFIX)
                + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36));
    boolean done = false;
    java.nio.file.attribute.FileAttribute<?>[] attrs =
        ownerOnly
            ? new java.nio.file.attribute.FileAttribute<?>[] {
              java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                  java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"))
            }
            : new java.nio.file.attribute.FileAttribute<?>[0];
    try (FileChannel ch =
        FileChannel.open(
            temp,
            java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
            attrs)) {
      ByteBuffer buf = ByteBuffer.wrap(bytes);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      if (sync) {
        ch.force(true);
      }
      done = true;
    } finally {
      if (!done) {
        Files.deleteIfExists(temp);
      }
    }
    return temp;
  }

  /**
   * Makes a file's bytes and size durable ({@code fdatasync}: what reading it back needs, not its
   * times, so a re-used chunk whose bytes are on disk and whose mtime was just refreshed costs no
   * journal commit).
   */
  static void syncFile(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ch.force(false);
    }
  }

  /**
   * Makes a directory entry change durable (Linux allows fsync on a directory opened read-only).
   */
  static void syncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Some filesystems refuse fsync on directories (EINVAL); the rename itself is still atomic.
      if (!String.valueOf(e.getMessage()).contains("Invalid argument")) {
        throw e;
      }
    }
  }
}
