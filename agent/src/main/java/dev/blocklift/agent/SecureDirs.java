package dev.blocklift.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/** The worker's state is 0700 directories and 0600 files, created so (never chmod-ed after). */
final class SecureDirs {
  private static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

  private SecureDirs() {}

  /** Creates {@code dir} (and missing parents) 0700; an existing one is tightened to 0700. */
  static Path ensure(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      Path parent = dir.toAbsolutePath().getParent();
      if (parent != null && !Files.isDirectory(parent)) {
        ensure(parent);
      }
      try {
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(DIR));
      } catch (java.nio.file.FileAlreadyExistsException raced) {
        // another thread made it
      }
    }
    if (!Files.getPosixFilePermissions(dir).equals(DIR)) {
      Files.setPosixFilePermissions(dir, DIR);
    }
    return dir;
  }

  /** Writes {@code bytes} to a new or truncated 0600 file. */
  static void writePrivate(Path file, byte[] bytes) throws IOException {
    Files.deleteIfExists(file);
    Files.createFile(file, PosixFilePermissions.asFileAttribute(FILE));
    Files.write(file, bytes, StandardOpenOption.TRUNCATE_EXISTING);
  }
}
