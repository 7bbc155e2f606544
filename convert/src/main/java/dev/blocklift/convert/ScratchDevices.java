package dev.blocklift.convert;

import dev.blocklift.core.OwnerPid;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The flattened devices of running conversions: plaintext images of whole filesystems (an image's
 * /etc/shadow, its keys), so they are kept from other users and never outlive their conversion.
 *
 * <ul>
 *   <li>the scratch directory is mode 0700 (made so if it exists with another mode), each device
 *       0600;
 *   <li>a device is named {@code convert-<pid>-<random>.ext4} (the flattener's partial file is
 *       {@code .convert-<pid>-<random>.ext4.blocklift-partial}), after the converting process;
 *   <li>the conversion deletes it on every way out: a {@code finally}, and a shutdown hook for
 *       SIGTERM and SIGINT;
 *   <li>what a kill -9, a crash or a power loss leaves behind is removed by the next conversion
 *       (before it starts) and by {@code blocklift gc}: devices whose process is gone ({@link
 *       OwnerPid}: never a concurrent conversion's live one), and devices named without a pid
 *       (older versions) once older than a grace period.
 * </ul>
 */
public final class ScratchDevices {
  static final String PREFIX = "convert-";
  static final String PARTIAL_PREFIX = ".convert-";

  /** Devices named without a pid (older versions) are removed once this old. */
  public static final Duration LEGACY_GRACE = Duration.ofHours(1);

  private static final Set<PosixFilePermission> DIR_MODE =
      PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> FILE_MODE =
      PosixFilePermissions.fromString("rw-------");

  private ScratchDevices() {}

  /** Creates {@code dir} mode 0700, or makes an existing one 0700. */
  static Path prepare(Path dir) throws IOException {
    Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(DIR_MODE));
    if (!Files.getPosixFilePermissions(dir).equals(DIR_MODE)) {
      Files.setPosixFilePermissions(dir, DIR_MODE);
    }
    return dir;
  }

  /** A fresh device path of this process in {@code dir} (not created). */
  static Path newDevice(Path dir) {
    return dir.resolve(
        OwnerPid.tag(PREFIX)
            + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36)
            + ".ext4");
  }

  /** Makes a device (or the flattener's partial file of it) readable by its owner only. */
  static void restrict(Path file) throws IOException {
    Files.setPosixFilePermissions(file, FILE_MODE);
  }

  /** The flattener's temporary name for {@code device} (see {@link dev.blocklift.flatten}). */
  static Path partialOf(Path device) {
    return device.resolveSibling("." + device.getFileName() + ".blocklift-partial");
  }

  /** Deletes {@code device} and its partial file on a normal exit, a SIGTERM or a SIGINT. */
  static final class Guard implements AutoCloseable {
    private final Path device;
    private final Thread hook;

    Guard(Path device) {
      this.device = device;
      this.hook = new Thread(this::deleteQuietly, "blocklift-scratch-cleanup");
      Runtime.getRuntime().addShutdownHook(hook);
    }

    private void deleteQuietly() {
      try {
        delete();
      } catch (IOException e) {
        // exiting anyway; the next conversion or gc removes it
      }
    }

    private void delete() throws IOException {
      Files.deleteIfExists(device);
      Files.deleteIfExists(partialOf(device));
    }

    @Override
    public void close() throws IOException {
      delete();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // shutting down: the hook runs (and finds nothing)
      }
    }
  }

  /**
   * Removes the devices in {@code dir} left by conversions that are gone: named after a process
   * that no longer runs, or (older versions) named without a pid and older than {@code
   * legacyGrace}.
   *
   * @return how many files were removed
   */
  public static int removeLeftovers(Path dir, Duration legacyGrace, Clock clock)
      throws IOException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    Instant cutoff = clock.instant().minus(legacyGrace);
    int removed = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path p : files) {
        if (isLeftover(p, cutoff) && Files.deleteIfExists(p)) {
          removed++;
        }
      }
    }
    return removed;
  }

  private static boolean isLeftover(Path p, Instant cutoff) throws IOException {
    String name = p.getFileName().toString();
    String prefix = name.startsWith(PARTIAL_PREFIX) ? PARTIAL_PREFIX : PREFIX;
    if (!name.startsWith(prefix)
        || !(name.endsWith(".ext4") || name.endsWith(".ext4.blocklift-partial"))) {
      return false;
    }
    if (OwnerPid.parse(name, prefix).isPresent()) {
      return OwnerPid.isLeftover(p, prefix);
    }
    try {
      return Files.getLastModifiedTime(p).toInstant().isBefore(cutoff);
    } catch (NoSuchFileException e) {
      return false;
    }
  }
}
