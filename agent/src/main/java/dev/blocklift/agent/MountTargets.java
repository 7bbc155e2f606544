package dev.blocklift.agent;

import dev.blocklift.core.BlockliftException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the worker may mount an image: under its own state directory, or under one of the
 * configured roots ({@code mount-roots}, default {@code /mnt}). A target is resolved through every
 * symbolic link before it is checked, so a link under a root cannot point the mount at {@code
 * /etc}. The target must be an existing, empty directory that is not already a mount point.
 */
final class MountTargets {
  private final List<Path> roots;

  MountTargets(List<Path> roots) {
    List<Path> resolved = new ArrayList<>();
    for (Path r : roots) {
      if (!r.isAbsolute()) {
        throw new IllegalArgumentException("mount root must be an absolute path, got " + r);
      }
      if (r.normalize().getNameCount() == 0) {
        throw new IllegalArgumentException("/ cannot be a mount root");
      }
      resolved.add(realOrNormal(r));
    }
    this.roots = List.copyOf(resolved);
  }

  List<Path> roots() {
    return roots;
  }

  private static Path realOrNormal(Path p) {
    try {
      return p.toRealPath();
    } catch (IOException e) {
      return p.toAbsolutePath().normalize();
    }
  }

  /**
   * The canonical path of {@code requested}, if the worker may mount there.
   *
   * @throws BlockliftException (a 4xx for the API) naming the path and the allowed roots
   */
  Path check(String requested) throws IOException {
    if (requested == null || requested.isBlank()) {
      throw new BlockliftException("missing mount directory");
    }
    Path p = Path.of(requested);
    if (!p.isAbsolute()) {
      throw new BlockliftException("mount directory must be an absolute path, got " + requested);
    }
    if (!Files.isDirectory(p)) {
      throw new BlockliftException(
          "mount directory " + requested + " does not exist or is not a directory");
    }
    Path real = p.toRealPath();
    boolean allowed = false;
    for (Path root : roots) {
      if (real.startsWith(root) && !real.equals(root)) {
        allowed = true;
        break;
      }
    }
    if (!allowed) {
      throw new BlockliftException(
          "refusing to mount on "
              + real
              + (real.toString().equals(requested) ? "" : " (" + requested + ")")
              + ": not under a mount root "
              + roots
              + " (set mount-roots= or --mount-root)");
    }
    if (!Files.isDirectory(real, LinkOption.NOFOLLOW_LINKS)) {
      throw new BlockliftException(real + " is not a directory");
    }
    if (ContainerRun.isMountPoint(real)) {
      throw new BlockliftException(real + " is already a mount point");
    }
    try (var entries = Files.list(real)) {
      if (entries.findAny().isPresent()) {
        throw new BlockliftException(real + " is not empty; mount on an empty directory");
      }
    }
    return real;
  }
}
