package dev.blocklift.store.local;

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
 * Crash-safe file writes: bytes go to a temporary file in the destination directory (so the final
 * step never crosses a filesystem), are fsynced according to the {@link FsyncPolicy}, and then
 * appear under their final name in one step. Temporary files start with {@value #TEMP_PREFIX} so
 * listings skip them and garbage collection can remove the ones a killed writer left behind.
 */
final class AtomicFiles {
  static final String TEMP_PREFIX = ".tmp-";

  private AtomicFiles() {}

  static boolean isTemp(Path file) {
    return file.getFileName().toString().startsWith(TEMP_PREFIX);
  }

  /**
   * Writes {@code bytes} to {@code target} unless it exists: the temporary file is hard-linked to
   * the target, which fails if the target exists, so of many concurrent writers exactly one wins.
   *
   * @return true if this call created the target
   */
  static boolean writeIfAbsent(Path target, byte[] bytes, FsyncPolicy fsync) throws IOException {
    Path dir = target.getParent();
    Files.createDirectories(dir);
    Path temp = writeTemp(dir, bytes, fsync);
    try {
      try {
        Files.createLink(target, temp);
      } catch (FileAlreadyExistsException e) {
        return false;
      } catch (UnsupportedOperationException e) {
        // A filesystem without hard links: a no-replace rename is not available in Java, so
        // check-then-move; concurrent writers of one name write identical bytes anyway.
        if (Files.exists(target)) {
          return false;
        }
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      }
      if (fsync.syncDirectory()) {
        syncDirectory(dir);
      }
      return true;
    } finally {
      Files.deleteIfExists(temp);
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
    Path temp = writeTemp(dir, bytes, fsync, ownerOnly);
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

  private static Path writeTemp(Path dir, byte[] bytes, FsyncPolicy fsync) throws IOException {
    return writeTemp(dir, bytes, fsync, false);
  }

  /** A new temporary file holding {@code bytes}; 0600 from its creation with {@code ownerOnly}. */
  private static Path writeTemp(Path dir, byte[] bytes, FsyncPolicy fsync, boolean ownerOnly)
      throws IOException {
    Path temp =
        dir.resolve(
            TEMP_PREFIX + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36));
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
      if (fsync.syncFile()) {
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
