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
 * user, with {@code noNewPrivileges} and Docker's default capability set (bounding, effective,
 * permitted; none inheritable or ambient); pid/ipc/uts/mount namespaces and a network namespace
 * unless the sandbox shares the host's; the mounts runc's default spec has (/proc, a fresh tmpfs
 * /dev holding only the standard nodes runc creates, /dev/pts, /dev/shm, /dev/mqueue, /sys, a
 * read-only /sys/fs/cgroup) plus the sandbox's tmpfs mounts; Docker's masked and read-only paths; a
 * devices cgroup denying every device but runc's standard ones; the sandbox's memory and cpu
 * limits.
 */
public final class OciBundle {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final String DEFAULT_PATH =
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  /** Docker's default capabilities (moby's oci/caps defaults), in its order. */
  static final List<String> CAPABILITIES =
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

  /** Docker's masked paths (a file under /dev/null, a directory under an empty read-only tmpfs). */
  static final List<String> MASKED_PATHS =
      List.of(
          "/proc/asound",
          "/proc/acpi",
          "/proc/interrupts",
          "/proc/kcore",
          "/proc/keys",
          "/proc/latency_stats",
          "/proc/timer_list",
          "/proc/timer_stats",
          "/proc/sched_debug",
          "/proc/scsi",
          "/sys/firmware",
          "/sys/devices/virtual/powercap");

  /** Docker's read-only paths. */
  static final List<String> READONLY_PATHS =
      List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");

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

  /**
   * What a worker-started container adds to its image's process and namespaces: environment entries
   * (after the image's, so they win), a network namespace to join instead of a new one, and the
   * cgroup path its resources are accounted under.
   */
  public record Extras(List<String> env, Optional<Path> netns, Optional<String> cgroupsPath) {
    public static final Extras NONE = new Extras(List.of(), Optional.empty(), Optional.empty());

    public Extras {
      env = List.copyOf(env);
      for (String e : env) {
        if (e.indexOf('=') <= 0) {
          throw new IllegalArgumentException("not an environment entry NAME=VALUE: \"" + e + "\"");
        }
      }
    }
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

  /**
   * Writes {@code bundle/config.json} for a rootfs at {@code bundle/rootfs}, confined as {@code
   * sandbox} says.
   */
  public static Path write(
      Path bundle,
      ImageConfig config,
      List<String> command,
      User user,
      String hostname,
      ContainerRun.Sandbox sandbox)
      throws IOException {
    return write(bundle, config, command, user, hostname, sandbox, Extras.NONE);
  }

  /**
   * As {@link #write(Path, ImageConfig, List, User, String, ContainerRun.Sandbox)}, plus extras.
   */
  public static Path write(
      Path bundle,
      ImageConfig config,
      List<String> command,
      User user,
      String hostname,
      ContainerRun.Sandbox sandbox,
      Extras extras)
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
    // An entry of the extras replaces the image's entry of the same name.
    java.util.Set<String> overridden = new java.util.HashSet<>();
    extras.env().forEach(e -> overridden.add(e.substring(0, e.indexOf('='))));
    config.env().stream()
        .filter(e -> !overridden.contains(e.substring(0, Math.max(0, e.indexOf('=')))))
        .forEach(env::add);
    extras.env().forEach(env::add);
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
    // A setuid or file-capability binary in the image grants nothing.
    process.put("noNewPrivileges", true);

    ObjectNode r = root.putObject("root");
    r.put("path", "rootfs");
    r.put("readonly", false);
    root.put("hostname", hostname);

    ArrayNode mounts = root.putArray("mounts");
    mount(mounts, "/proc", "proc", "proc", List.of("nosuid", "noexec", "nodev"));
    // A fresh tmpfs: runc creates only the standard nodes in it (null, zero, full, random,
    // urandom, tty, and the ptmx link); the devices cgroup below keeps it that way for mknod.
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
    mount(
        mounts,
        "/dev/shm",
        "tmpfs",
        "shm",
        List.of("nosuid", "noexec", "nodev", "mode=1777", "size=65536k"));
    mount(mounts, "/dev/mqueue", "mqueue", "mqueue", List.of("nosuid", "noexec", "nodev"));
    mount(mounts, "/sys", "sysfs", "sysfs", List.of("nosuid", "noexec", "nodev", "ro"));
    mount(
        mounts,
        "/sys/fs/cgroup",
        "cgroup",
        "cgroup",
        List.of("nosuid", "noexec", "nodev", "relatime", "ro"));
    for (ContainerRun.Sandbox.TmpfsMount t : sandbox.tmpfs()) {
      List<String> options = new ArrayList<>(List.of("nosuid", "nodev", "mode=1777"));
      t.size().ifPresent(s -> options.add("size=" + s.bytes()));
      mount(mounts, t.path(), "tmpfs", "tmpfs", options);
    }

    ObjectNode linux = root.putObject("linux");
    ArrayNode ns = linux.putArray("namespaces");
    List<String> namespaces = new ArrayList<>(List.of("pid", "ipc", "uts", "mount"));
    namespaces.forEach(type -> ns.addObject().put("type", type));
    if (extras.netns().isPresent()) {
      ns.addObject().put("type", "network").put("path", extras.netns().get().toString());
    } else if (sandbox.network() == ContainerRun.Sandbox.Network.NONE) {
      // runc brings up lo in a new network namespace, and nothing else.
      ns.addObject().put("type", "network");
    }
    extras.cgroupsPath().ifPresent(c -> linux.put("cgroupsPath", c));
    ObjectNode resources = linux.putObject("resources");
    // Deny every device; runc allows back its standard ones (null, zero, full, tty, urandom,
    // random, ptmx and pts), so a node made with CAP_MKNOD in /dev cannot be opened.
    ObjectNode denyAll = resources.putArray("devices").addObject();
    denyAll.put("allow", false);
    denyAll.put("access", "rwm");
    sandbox.memory().ifPresent(m -> resources.putObject("memory").put("limit", m.bytes()));
    sandbox
        .cpuQuotaMicros()
        .ifPresent(
            q -> {
              ObjectNode cpu = resources.putObject("cpu");
              cpu.put("quota", q);
              cpu.put("period", ContainerRun.Sandbox.CPU_PERIOD_US);
            });
    ArrayNode masked = linux.putArray("maskedPaths");
    maskedPaths().forEach(masked::add);
    ArrayNode ro = linux.putArray("readonlyPaths");
    READONLY_PATHS.forEach(ro::add);
    Files.createDirectories(bundle.resolve("rootfs"));
    Path file = bundle.resolve("config.json");
    Files.write(file, JSON.writeValueAsBytes(root));
    return file;
  }

  /** {@link #MASKED_PATHS} and, as Docker does, each CPU's thermal_throttle directory. */
  static List<String> maskedPaths() {
    List<String> paths = new ArrayList<>(MASKED_PATHS);
    Path cpus = Path.of("/sys/devices/system/cpu");
    try (var s = Files.list(cpus)) {
      s.filter(p -> p.getFileName().toString().matches("cpu\\d+"))
          .map(p -> p.resolve("thermal_throttle"))
          .filter(Files::isDirectory)
          .sorted()
          .forEach(p -> paths.add(p.toString()));
    } catch (IOException e) {
      // No sysfs here: nothing more to mask.
    }
    return paths;
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
