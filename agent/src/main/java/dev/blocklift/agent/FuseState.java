package dev.blocklift.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

/**
 * What a server that takes over a FUSE mount needs to know, as {@code stateDir/fuse.json}: where
 * the mount is, which process holds the connection's fd (pid and start time, against pid reuse),
 * what INIT settled (null until the kernel's INIT was answered), and the name to node id table.
 */
record FuseState(
    int version,
    String mountPoint,
    String realMountPoint,
    String mountDev,
    int holderPid,
    long holderStart,
    long createdSeconds,
    int maxWrite,
    int maxPages,
    FuseInit init,
    long nextId,
    Map<String, Long> nodes) {
  static final String FILE = "fuse.json";
  static final int VERSION = 1;
  private static final ObjectMapper JSON = new ObjectMapper();

  FuseState {
    nodes = Map.copyOf(nodes);
  }

  static FuseState read(Path stateDir) throws IOException {
    Path f = stateDir.resolve(FILE);
    FuseState s = JSON.readValue(f.toFile(), FuseState.class);
    if (s.version() != VERSION) {
      throw new IOException("unsupported FUSE state version " + s.version() + " in " + f);
    }
    return s;
  }

  /** Writes {@code fuse.json} atomically (a 0600 temporary file renamed over it). */
  void write(Path stateDir) throws IOException {
    Path tmp = stateDir.resolve(FILE + ".tmp");
    Files.deleteIfExists(tmp);
    Files.createFile(
        tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.write(tmp, JSON.writeValueAsBytes(this));
    Files.move(
        tmp,
        stateDir.resolve(FILE),
        StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
  }
}
