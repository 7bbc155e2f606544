package dev.blocklift.store;

import java.util.Locale;

/**
 * How hard a local write insists on reaching the disk before it is reported done.
 *
 * <p>Every write goes to a temporary file in the destination directory and is then linked or
 * renamed into place, so a crash never leaves a torn file under a final name whatever the policy.
 * The policy decides what a power loss may lose:
 *
 * <ul>
 *   <li>{@link #FULL} (default): the temporary file is fsynced before the rename, and the directory
 *       after it, so a chunk reported stored survives a power loss (and so does the manifest, which
 *       is published only after its chunks);
 *   <li>{@link #FILE}: the file is fsynced, the directory is not; after a power loss a recently
 *       stored name may be missing (never torn), which a re-run of the convert repairs;
 *   <li>{@link #NONE}: nothing is fsynced; for scratch stores and tests.
 * </ul>
 */
public enum FsyncPolicy {
  FULL,
  FILE,
  NONE;

  public boolean syncFile() {
    return this != NONE;
  }

  public boolean syncDirectory() {
    return this == FULL;
  }

  /** Parses {@code full}, {@code file} or {@code none}, naming the bad value otherwise. */
  public static FsyncPolicy parse(String text) {
    return switch (text.toLowerCase(Locale.ROOT)) {
      case "full" -> FULL;
      case "file" -> FILE;
      case "none" -> NONE;
      default ->
          throw new IllegalArgumentException(
              "fsync policy must be full, file or none, got \"" + text + "\"");
    };
  }
}
