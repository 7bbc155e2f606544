package dev.blocklift.chunk;

import dev.blocklift.core.BlockliftException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Files holding secrets: created 0600, refused when group- or world-accessible, replaced
 * atomically.
 */
public final class SecureFiles {
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");

  private SecureFiles() {}

  /**
   * Throws a {@link BlockliftException} telling the user to {@code chmod 600} unless only the owner
   * may read or write {@code file}.
   */
  public static void requireOwnerOnly(Path file, String what) throws IOException {
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
    for (PosixFilePermission p : perms) {
      if (p.name().startsWith("GROUP_") || p.name().startsWith("OTHERS_")) {
        throw new BlockliftException(
            what
                + " "
                + file
                + " is accessible by group or others (mode "
                + PosixFilePermissions.toString(perms)
                + "); refusing to use it: run chmod 600 "
                + file);
      }
    }
  }

  /** Writes {@code data} to {@code file} with mode 0600 via a temp file, fsync and rename. */
  public static void writeAtomically(Path file, byte[] data) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = dir.resolve("." + file.getFileName() + ".tmp-" + ProcessHandle.current().pid());
    Files.deleteIfExists(tmp);
    try (FileChannel ch =
        FileChannel.open(
            tmp,
            Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
            PosixFilePermissions.asFileAttribute(OWNER_ONLY))) {
      ByteBuffer bb = ByteBuffer.wrap(data);
      while (bb.hasRemaining()) {
        ch.write(bb);
      }
      ch.force(true);
    }
    Files.setPosixFilePermissions(tmp, OWNER_ONLY); // in case a umask stripped bits we wanted
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** Creates {@code file} with mode 0600 and the given content; false if it already existed. */
  public static boolean createOwnerOnly(Path file, byte[] data) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    try (FileChannel ch =
        FileChannel.open(
            file,
            Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
            PosixFilePermissions.asFileAttribute(OWNER_ONLY))) {
      ByteBuffer bb = ByteBuffer.wrap(data);
      while (bb.hasRemaining()) {
        ch.write(bb);
      }
      ch.force(true);
      return true;
    } catch (FileAlreadyExistsException e) {
      return false;
    }
  }
}
