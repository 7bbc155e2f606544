package dev.blocklift.agent;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.blocklift.core.BlockliftException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What the worker keeps on disk about one mount, so that a restarted worker can take it back (or
 * clean it up): {@code STATE/mounts/ID.json}, 0600, written atomically.
 *
 * @param id random mount id; also the FUSE file's name and the overlay's directory name, so no two
 *     mounts (even across crashes) ever share an overlay
 * @param kind {@code mount} (a user-visible mount) or {@code run} (a container's rootfs)
 * @param status {@code mounting} until the mount is complete, then {@code mounted}
 * @param image the image reference
 * @param manifestDigest SHA-256 of the manifest bytes the mount was opened from (hex)
 * @param dir where the ext4 (or a run's overlayfs) is mounted
 * @param readOnly whether the device is read-only
 * @param loopDevice the loop device, once attached
 * @param extraMounts mounts beyond {@code dir} to undo, innermost first (a run's scratch, lower)
 * @param runId the container id of a run
 * @param clientPid the process that asked for a run (the run is reaped once it is gone)
 * @param clientStart that process's start time (clock ticks after boot), against pid reuse
 */
@JsonIgnoreProperties(ignoreUnknown = true)
record MountRecord(
    String id,
    String kind,
    String status,
    String image,
    String manifestDigest,
    String dir,
    boolean readOnly,
    String loopDevice,
    List<String> extraMounts,
    String runId,
    long clientPid,
    long clientStart) {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern ID = Pattern.compile("[0-9a-f]{32}");

  MountRecord {
    if (id == null || !ID.matcher(id).matches()) {
      throw new IllegalArgumentException("not a mount id: \"" + id + "\"");
    }
    extraMounts = extraMounts == null ? List.of() : List.copyOf(extraMounts);
    loopDevice = loopDevice == null ? "" : loopDevice;
    runId = runId == null ? "" : runId;
  }

  MountRecord withStatus(String s) {
    return new MountRecord(
        id,
        kind,
        s,
        image,
        manifestDigest,
        dir,
        readOnly,
        loopDevice,
        extraMounts,
        runId,
        clientPid,
        clientStart);
  }

  MountRecord withLoop(String loop, List<String> extra) {
    return new MountRecord(
        id,
        kind,
        status,
        image,
        manifestDigest,
        dir,
        readOnly,
        loop,
        extra,
        runId,
        clientPid,
        clientStart);
  }

  boolean isRun() {
    return kind.equals("run");
  }

  static Path file(Path mountsDir, String id) {
    return mountsDir.resolve(id + ".json");
  }

  void write(Path mountsDir) throws IOException {
    SecureDirs.ensure(mountsDir);
    Path tmp = mountsDir.resolve(id + ".json.tmp");
    SecureDirs.writePrivate(tmp, JSON.writeValueAsBytes(this));
    Files.move(
        tmp,
        file(mountsDir, id),
        StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
  }

  static void delete(Path mountsDir, String id) throws IOException {
    Files.deleteIfExists(file(mountsDir, id));
  }

  /** Every record in {@code mountsDir}; an unreadable one is reported, not skipped silently. */
  static List<MountRecord> readAll(Path mountsDir, List<String> problems) throws IOException {
    List<MountRecord> out = new ArrayList<>();
    if (!Files.isDirectory(mountsDir)) {
      return out;
    }
    try (Stream<Path> s = Files.list(mountsDir)) {
      for (Path f : s.sorted().toList()) {
        String n = f.getFileName().toString();
        if (n.endsWith(".json.tmp")) {
          Files.deleteIfExists(f);
          continue;
        }
        if (!n.endsWith(".json")) {
          continue;
        }
        try {
          out.add(JSON.readValue(f.toFile(), MountRecord.class));
        } catch (IOException | IllegalArgumentException e) {
          problems.add("unreadable mount record " + f + ": " + e.getMessage());
          Files.deleteIfExists(f);
        }
      }
    }
    return out;
  }

  /** A new mount id: a random UUID's 32 hex digits. */
  static String newId() {
    return java.util.UUID.randomUUID().toString().replace("-", "");
  }

  /** The UUID a mount id spells. */
  static java.util.UUID uuid(String id) {
    if (id.length() != 32) {
      throw new BlockliftException("mount id " + id + " is not 32 hex digits");
    }
    return new java.util.UUID(
        Long.parseUnsignedLong(id.substring(0, 16), 16),
        Long.parseUnsignedLong(id.substring(16), 16));
  }
}
