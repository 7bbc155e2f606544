package dev.blocklift.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.image.ImageConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Writes an OCI runtime bundle's {@code config.json} from an image config: the process (entrypoint
 * + cmd, or entrypoint + the caller's command, as {@code docker run} does), env, working dir and
 * user; pid/ipc/uts/mount namespaces (the host network is shared); the minimal mounts /proc, /dev,
 * /dev/pts, /dev/shm, /dev/mqueue, /sys; the default capability set of container engines.
 */
public final class OciBundle {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final String DEFAULT_PATH =
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  private static final List<String> CAPABILITIES =
      List.of(
          "CAP_CHOWN",
          "CAP_DAC_OVERRIDE",
          "CAP_FSETID",
          "CAP_FOWNER",
          "CAP_MKNOD",
          "CAP_NET_RAW",
          "CAP_SETGID",
          "CAP_SETUID",
          "CAP_SETFCAP",
          "CAP_SETPCAP",
          "CAP_NET_BIND_SERVICE",
          "CAP_SYS_CHROOT",
          "CAP_KILL",
          "CAP_AUDIT_WRITE");

  private OciBundle() {}

  /** The process arguments: the image's entrypoint, then {@code command} or else its cmd. */
  public static List<String> args(ImageConfig config, List<String> command) {
    List<String> args = new ArrayList<>(config.entrypoint());
    args.addAll(command.isEmpty() ? config.cmd() : command);
    if (args.isEmpty()) {
      throw new BlockliftException(
          "the image has no entrypoint or cmd; give a command: blocklift run IMAGE -- CMD ARGS...");
    }
    return args;
  }

  /** A user resolved to numbers. */
  public record User(int uid, int gid) {}

  /**
   * Resolves an image's {@code User} ("", "name", "uid", "name:group", "uid:gid") against the
   * rootfs's /etc/passwd and /etc/group.
   */
  public static User user(String spec, Path rootfs) throws IOException {
    if (spec == null || spec.isEmpty()) {
      return new User(0, 0);
    }
    String[] parts = spec.split(":", 2);
    Optional<String[]> passwd = Optional.empty();
    int uid;
    if (parts[0].matches("\\d+")) {
      uid = Integer.parseInt(parts[0]);
      passwd = lookup(rootfs.resolve("etc/passwd"), 2, parts[0]);
    } else {
      passwd = lookup(rootfs.resolve("etc/passwd"), 0, parts[0]);
      if (passwd.isEmpty()) {
        throw new BlockliftException(
            "image user \"" + parts[0] + "\" is not in the image's /etc/passwd");
      }
      uid = Integer.parseInt(passwd.get()[2]);
    }
    int gid;
    if (parts.length == 2) {
      if (parts[1].matches("\\d+")) {
        gid = Integer.parseInt(parts[1]);
      } else {
        Optional<String[]> group = lookup(rootfs.resolve("etc/group"), 0, parts[1]);
        if (group.isEmpty()) {
          throw new BlockliftException(
              "image group \"" + parts[1] + "\" is not in the image's /etc/group");
        }
        gid = Integer.parseInt(group.get()[2]);
      }
    } else {
      gid = passwd.map(p -> Integer.parseInt(p[3])).orElse(0);
    }
    return new User(uid, gid);
  }

  private static Optional<String[]> lookup(Path file, int field, String value) throws IOException {
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      String[] f = line.split(":", -1);
      if (f.length > 3 && f[field].equals(value) && f[2].matches("\\d+") && f[3].matches("\\d+")) {
        return Optional.of(f);
      }
    }
    return Optional.empty();
  }

  /** Writes {@code bundle/config.json} for a rootfs at {@code bundle/rootfs}. */
  public static Path write(
      Path bundle, ImageConfig config, List<String> command, User user, String hostname)
      throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.put("ociVersion", "1.0.2");
    ObjectNode process = root.putObject("process");
    process.put("terminal", false);
    ObjectNode u = process.putObject("user");
    u.put("uid", user.uid());
    u.put("gid", user.gid());
    ArrayNode args = process.putArray("args");
    args(config, command).forEach(args::add);
    ArrayNode env = process.putArray("env");
    boolean hasPath = config.env().stream().anyMatch(e -> e.startsWith("PATH="));
    if (!hasPath) {
      env.add(DEFAULT_PATH);
    }
    config.env().forEach(env::add);
    process.put("cwd", config.workingDir().isEmpty() ? "/" : config.workingDir());
    ObjectNode caps = process.putObject("capabilities");
    for (String set : List.of("bounding", "effective", "permitted")) {
      ArrayNode a = caps.putArray(set);
      CAPABILITIES.forEach(a::add);
    }
    ArrayNode rlimits = process.putArray("rlimits");
    ObjectNode nofile = rlimits.addObject();
    nofile.put("type", "RLIMIT_NOFILE");
    nofile.put("hard", 1024);
    nofile.put("soft", 1024);
    process.put("noNewPrivileges", true);

    ObjectNode r = root.putObject("root");
    r.put("path", "rootfs");
    r.put("readonly", false);
    root.put("hostname", hostname);

    ArrayNode mounts = root.putArray("mounts");
    mount(mounts, "/proc", "proc", "proc", List.of());
    mount(
        mounts,
        "/dev",
        "tmpfs",
        "tmpfs",
        List.of("nosuid", "strictatime", "mode=755", "size=65536k"));
    mount(
        mounts,
        "/dev/pts",
        "devpts",
        "devpts",
        List.of("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"));
    mount(mounts, "/dev/shm", "tmpfs", "shm", List.of("nosuid", "noexec", "nodev", "mode=1777"));
    mount(mounts, "/dev/mqueue", "mqueue", "mqueue", List.of("nosuid", "noexec", "nodev"));
    mount(mounts, "/sys", "sysfs", "sysfs", List.of("nosuid", "noexec", "nodev", "ro"));

    ObjectNode linux = root.putObject("linux");
    ArrayNode ns = linux.putArray("namespaces");
    for (String type : List.of("pid", "ipc", "uts", "mount")) {
      ns.addObject().put("type", type);
    }
    ArrayNode masked = linux.putArray("maskedPaths");
    for (String p :
        List.of(
            "/proc/acpi",
            "/proc/kcore",
            "/proc/keys",
            "/proc/latency_stats",
            "/proc/timer_list",
            "/proc/timer_stats",
            "/proc/sched_debug",
            "/sys/firmware",
            "/proc/scsi")) {
      masked.add(p);
    }
    ArrayNode ro = linux.putArray("readonlyPaths");
    for (String p :
        List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger")) {
      ro.add(p);
    }
    Files.createDirectories(bundle.resolve("rootfs"));
    Path file = bundle.resolve("config.json");
    Files.write(file, JSON.writeValueAsBytes(root));
    return file;
  }

  private static void mount(
      ArrayNode mounts, String destination, String type, String source, List<String> options) {
    ObjectNode m = mounts.addObject();
    m.put("destination", destination);
    m.put("type", type);
    m.put("source", source);
    ArrayNode o = m.putArray("options");
    options.forEach(o::add);
  }
}
