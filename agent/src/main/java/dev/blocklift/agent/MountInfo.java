package dev.blocklift.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A line of /proc/self/mountinfo: read without touching the mount point itself, which would hang on
 * a FUSE mount whose server is gone.
 */
record MountInfo(String dev, String mountPoint, String fsType) {
  /** The topmost mount at {@code mountPoint} (an absolute, symlink-free path), or null. */
  static MountInfo at(String mountPoint) throws IOException {
    MountInfo found = null;
    for (String line :
        Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
      String[] f = line.split(" ");
      int dash = java.util.Arrays.asList(f).indexOf("-");
      if (f.length < 5 || dash < 0 || dash + 1 >= f.length) {
        continue;
      }
      if (unescape(f[4]).equals(mountPoint)) {
        found = new MountInfo(f[2], mountPoint, f[dash + 1]);
      }
    }
    return found;
  }

  boolean isBlocklift() {
    return fsType.equals(FuseServer.FS_TYPE);
  }

  private static String unescape(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 3 < s.length()) {
        b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }
}
