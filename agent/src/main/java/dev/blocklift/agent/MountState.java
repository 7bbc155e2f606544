package dev.blocklift.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.blocklift.core.Hex;
import dev.blocklift.core.Sha256;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * What {@code blocklift umount DIR} needs to find the process serving a mount: kept in {@code
 * /run/blocklift/mounts/ID/state.json} (ID derived from the mount directory), beside the FUSE
 * directory, the overlay and the serving process's log.
 *
 * @param pid the serving process
 * @param image the image reference
 * @param dir where the ext4 is mounted
 * @param fuseDir the FUSE directory holding the device file
 * @param loopDevice the loop device, e.g. /dev/loop3
 * @param readOnly whether the mount is read-only
 */
public record MountState(
    long pid, String image, String dir, String fuseDir, String loopDevice, boolean readOnly) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The root of per-mount state, {@code /run/blocklift} unless {@code -Dblocklift.run=DIR}. */
  public static Path runRoot() {
    return Path.of(System.getProperty("blocklift.run", "/run/blocklift"));
  }

  /** The state directory of the mount at {@code dir}. */
  public static Path stateDir(Path dir) {
    String abs = dir.toAbsolutePath().normalize().toString();
    String id = Hex.encode(Sha256.hash(abs.getBytes(StandardCharsets.UTF_8))).substring(0, 16);
    return runRoot().resolve("mounts").resolve(id);
  }

  public void write(Path stateDir) throws IOException {
    Files.createDirectories(stateDir);
    Path tmp = stateDir.resolve("state.json.tmp");
    Files.write(tmp, JSON.writeValueAsBytes(this));
    Files.move(
        tmp,
        stateDir.resolve("state.json"),
        StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
  }

  public static Optional<MountState> read(Path stateDir) throws IOException {
    Path f = stateDir.resolve("state.json");
    if (!Files.exists(f)) {
      return Optional.empty();
    }
    return Optional.of(JSON.readValue(f.toFile(), MountState.class));
  }
}
