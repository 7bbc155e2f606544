package dev.blocklift.agent;

import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ByteSize;
import dev.blocklift.image.ImageConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code blocklift run}: mounts an image lazily (FUSE file → loop → ext4, read-only) as the lower
 * layer of an overlayfs whose upper layer is a sized tmpfs, makes that the rootfs of an OCI bundle
 * confined as {@link Sandbox} says, and runs it with {@code runc run}, stdio inherited. Everything
 * is undone, in reverse order, when the container exits, when {@link #close} is called, on a
 * failure while preparing, and from a shutdown hook on Ctrl-C.
 *
 * <p>The image's ext4 is mounted {@code ro,noload,nodev}; the scratch tmpfs {@code
 * size=SIZE,mode=0700,nodev,nosuid}, so the container's writes are bounded by its size and files
 * copied up from the image live only in memory (never in plaintext on disk); the overlayfs {@code
 * nodev}. No device node of the image can be opened.
 *
 * <p>Layout under the work directory: {@code fuse/} (the FUSE mount), {@code lower/} (the image's
 * ext4), {@code scratch/} (the tmpfs, holding {@code upper/} and {@code work/}), {@code
 * bundle/config.json} and {@code bundle/rootfs} (the overlayfs).
 */
public final class ContainerRun implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(ContainerRun.class.getName());

  private final Path work;
  private final String id;
  private final FuseServer fuse;
  private final Thread hook;

  /** What {@link #prepare} set up, closed last-first. */
  private final Deque<AutoCloseable> owned = new ArrayDeque<>();

  private ImageMount mount;
  private volatile Process runc;
  private boolean closed;

  private ContainerRun(Path work, String id, FuseServer fuse) {
    this.work = work;
    this.id = id;
    this.fuse = fuse;
    this.hook = new Thread(this::closeQuietly, "blocklift-run-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /**
   * How a run is confined beyond what every run gets (namespaces, Docker's default capabilities,
   * {@code noNewPrivileges}, masked and read-only paths, a fresh /dev, a deny-all device cgroup).
   *
   * @param scratch the size of the tmpfs holding the overlay's upper layer: all the container can
   *     write to its rootfs (memory-backed)
   * @param tmpfs extra tmpfs mounts in the container ({@code nodev,nosuid})
   * @param memory the memory cgroup limit
   * @param cpus CPUs' worth of time per period (cpu quota / period), e.g. 0.5
   * @param network {@link Network#NONE} (only lo) or {@link Network#HOST}
   */
  public record Sandbox(
      ByteSize scratch,
      List<TmpfsMount> tmpfs,
      Optional<ByteSize> memory,
      Optional<Double> cpus,
      Network network) {
    /** Lambda's default ephemeral storage. */
    public static final ByteSize DEFAULT_SCRATCH = ByteSize.ofMiB(512);

    /** Below this a scratch has no room for the overlay's own bookkeeping. */
    public static final ByteSize MIN_SCRATCH = ByteSize.ofMiB(1);

    /** Docker's floor: below it a container cannot start reliably. */
    public static final ByteSize MIN_MEMORY = ByteSize.ofMiB(6);

    public static final double MIN_CPUS = 0.01;

    /** The CFS period the cpu quota is a share of (Docker's). */
    public static final long CPU_PERIOD_US = 100_000;

    public Sandbox {
      if (scratch == null || scratch.compareTo(MIN_SCRATCH) < 0) {
        throw new IllegalArgumentException(
            "scratch must be at least " + MIN_SCRATCH + ", got " + describe(scratch));
      }
      tmpfs = List.copyOf(tmpfs);
      Set<String> seen = new HashSet<>();
      for (TmpfsMount t : tmpfs) {
        if (!seen.add(t.path())) {
          throw new IllegalArgumentException("tmpfs " + t.path() + " is given twice");
        }
      }
      if (memory.isPresent() && memory.get().compareTo(MIN_MEMORY) < 0) {
        throw new IllegalArgumentException(
            "memory must be at least " + MIN_MEMORY + ", got " + describe(memory.get()));
      }
      if (cpus.isPresent()) {
        double c = cpus.get();
        int host = Runtime.getRuntime().availableProcessors();
        if (!(c >= MIN_CPUS && c <= host)) {
          throw new IllegalArgumentException(
              "cpus must be between " + MIN_CPUS + " and this host's " + host + ", got " + c);
        }
      }
      if (network == null) {
        throw new IllegalArgumentException("network must be none or host, got null");
      }
    }

    /** 512 MiB of scratch, no extra tmpfs, no limits, no network but lo. */
    public static Sandbox defaults() {
      return new Sandbox(
          DEFAULT_SCRATCH, List.of(), Optional.empty(), Optional.empty(), Network.NONE);
    }

    /** The cpu quota in microseconds per {@link #CPU_PERIOD_US}, if {@code cpus} is set. */
    public Optional<Long> cpuQuotaMicros() {
      return cpus.map(c -> Math.max(1000L, Math.round(c * CPU_PERIOD_US)));
    }

    private static String describe(ByteSize size) {
      return size == null ? "null" : size.bytes() + " bytes (" + size + ")";
    }

    /** A tmpfs mounted in the container at {@code path}, of {@code size} or the kernel default. */
    public record TmpfsMount(String path, Optional<ByteSize> size) {
      private static final Set<String> RESERVED = Set.of("/proc", "/sys", "/dev");

      public TmpfsMount {
        if (path == null
            || !path.startsWith("/")
            || !Path.of(path).normalize().toString().equals(path)
            || path.contains(",")
            || path.contains(":")) {
          throw new IllegalArgumentException(
              "tmpfs path must be absolute and normalized (no . or .., no trailing /, no , or :),"
                  + " got \""
                  + path
                  + "\"");
        }
        if (path.equals("/")) {
          throw new IllegalArgumentException("tmpfs cannot replace the rootfs, got \"/\"");
        }
        for (String r : RESERVED) {
          if (path.equals(r) || path.startsWith(r + "/")) {
            throw new IllegalArgumentException(
                "tmpfs " + path + " would shadow the container's " + r + "; choose another path");
          }
        }
        if (size.isPresent() && size.get().bytes() == 0) {
          throw new IllegalArgumentException("tmpfs " + path + " size must be positive, got 0");
        }
      }

      /** Parses {@code PATH} or {@code PATH:SIZE}, e.g. {@code /tmp:64MiB}. */
      public static TmpfsMount parse(String text) {
        int colon = text.indexOf(':');
        if (colon < 0) {
          return new TmpfsMount(text, Optional.empty());
        }
        String size = text.substring(colon + 1);
        try {
          return new TmpfsMount(text.substring(0, colon), Optional.of(ByteSize.parse(size)));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              "tmpfs must be PATH or PATH:SIZE, got \"" + text + "\": " + e.getMessage(), e);
        }
      }
    }

    /** The container's network. */
    public enum Network {
      /** A network namespace of its own holding only the loopback interface. */
      NONE,
      /** The host's network namespace: its interfaces, its loopback services, its ports. */
      HOST;

      public static Network parse(String text) {
        for (Network n : values()) {
          if (n.name().equalsIgnoreCase(text.strip())) {
            return n;
          }
        }
        throw new IllegalArgumentException("network must be none or host, got \"" + text + "\"");
      }

      @Override
      public String toString() {
        return name().toLowerCase(Locale.ROOT);
      }
    }
  }

  /** Checks what {@code run} and {@code mount} need from the machine, with a plain message. */
  public static void checkHost(boolean needRunc) {
    if (!"root".equals(System.getProperty("user.name")) && !isRoot()) {
      throw new BlockliftException(
          "needs root: loop devices, mounts and runc need uid 0 (run with sudo)");
    }
    if (!Files.exists(Path.of("/dev/fuse"))) {
      throw new BlockliftException("needs FUSE: /dev/fuse is missing (modprobe fuse)");
    }
    if (needRunc && findOnPath("runc") == null) {
      throw new BlockliftException("needs runc on the PATH (apt-get install runc)");
    }
  }

  private static boolean isRoot() {
    try {
      return Files.readString(Path.of("/proc/self/status"))
          .lines()
          .anyMatch(l -> l.startsWith("Uid:") && l.split("\\s+")[1].equals("0"));
    } catch (IOException e) {
      return false;
    }
  }

  static Path findOnPath(String command) {
    String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin:/usr/bin:/bin";
    for (String dir : path.split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
        return Path.of(dir, command);
      }
    }
    return null;
  }

  /**
   * Mounts the image under {@code work} and writes the bundle's config, with {@link
   * Sandbox#defaults()}.
   *
   * @param id the container id for runc (unique on this host)
   */
  public static ContainerRun prepare(
      Path work, String id, LazyDevice device, ImageConfig config, List<String> command)
      throws IOException {
    return prepare(work, id, device, config, command, Sandbox.defaults());
  }

  /**
   * Mounts the image under {@code work} and writes the bundle's config for {@code sandbox}.
   *
   * @param id the container id for runc (unique on this host)
   */
  public static ContainerRun prepare(
      Path work,
      String id,
      LazyDevice device,
      ImageConfig config,
      List<String> command,
      Sandbox sandbox)
      throws IOException {
    Files.createDirectories(work);
    return prepare(
        work, id, FuseServer.mount(work.resolve("fuse")), device, config, command, sandbox);
  }

  /**
   * Starts mounting the FUSE directory of a run under {@code work} on a platform thread, so that
   * the FFM linking and the mount (a few hundred ms in a fresh JVM) overlap with opening the image.
   * Pass the result to {@link #prepare(Path, String, FuseServer, LazyDevice, ImageConfig, List)};
   * if the run is abandoned before that, close what the future yields.
   */
  public static CompletableFuture<FuseServer> mountAhead(Path work) throws IOException {
    Files.createDirectories(work);
    CompletableFuture<FuseServer> f = new CompletableFuture<>();
    Thread.ofPlatform()
        .name("blocklift-fuse-mount")
        .daemon()
        .start(
            () -> {
              try {
                f.complete(FuseServer.mount(work.resolve("fuse")));
              } catch (IOException | RuntimeException e) {
                f.completeExceptionally(e);
              }
            });
    return f;
  }

  /** Waits for a {@link #mountAhead} mount. */
  public static FuseServer await(CompletableFuture<FuseServer> ahead) throws IOException {
    try {
      return ahead.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while mounting FUSE", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new IOException("FUSE mount failed: " + e.getCause(), e.getCause());
    }
  }

  /**
   * Like {@link #prepare(Path, String, LazyDevice, ImageConfig, List)} over a FUSE server already
   * mounted at {@code work/fuse}; takes ownership of it (closed on failure and on close).
   */
  public static ContainerRun prepare(
      Path work,
      String id,
      FuseServer fuse,
      LazyDevice device,
      ImageConfig config,
      List<String> command)
      throws IOException {
    return prepare(work, id, fuse, device, config, command, Sandbox.defaults());
  }

  /**
   * Like {@link #prepare(Path, String, LazyDevice, ImageConfig, List, Sandbox)} over a FUSE server
   * already mounted at {@code work/fuse}; takes ownership of it (closed on failure and on close).
   */
  public static ContainerRun prepare(
      Path work,
      String id,
      FuseServer fuse,
      LazyDevice device,
      ImageConfig config,
      List<String> command,
      Sandbox sandbox)
      throws IOException {
    ContainerRun run = new ContainerRun(work, id, fuse);
    try {
      run.setUp(device, config, command, sandbox);
      return run;
    } catch (IOException | RuntimeException e) {
      try {
        run.close();
      } catch (IOException | RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  private void setUp(LazyDevice device, ImageConfig config, List<String> command, Sandbox sandbox)
      throws IOException {
    Path lower = work.resolve("lower");
    Files.createDirectories(lower);
    // The image, read-only and nodev; not nosuid (only the container reaches it, through the
    // overlay, and no_new_privs already makes a setuid bit grant nothing there).
    mount =
        own(ImageMount.open(fuse, "image", device, lower, true, work.resolve("-"), false, false));
    List<Path> mounts = mountSandbox(work, lower, sandbox, config, command);
    for (Path p : mounts.reversed()) {
      own(new KernelMount(p));
    }
  }

  /**
   * Assembles a sandbox's rootfs over the image mounted read-only on {@code lower}: a tmpfs scratch
   * of the sandbox's size ({@code work/scratch}: nodev, nosuid, 0700) holding the upper and work
   * directories, an overlayfs (nodev) on {@code work/bundle/rootfs}, and the bundle's config.json.
   * On failure, what was mounted is unmounted again.
   *
   * @return the mount points made, in the order to unmount them (rootfs, then scratch)
   */
  static List<Path> mountSandbox(
      Path work, Path lower, Sandbox sandbox, ImageConfig config, List<String> command)
      throws IOException {
    return mountSandbox(work, lower, sandbox, config, command, OciBundle.Extras.NONE);
  }

  /** As the other {@code mountSandbox}, with a worker's extras for the bundle. */
  static List<Path> mountSandbox(
      Path work,
      Path lower,
      Sandbox sandbox,
      ImageConfig config,
      List<String> command,
      OciBundle.Extras extras)
      throws IOException {
    Path scratch = work.resolve("scratch");
    Path bundle = work.resolve("bundle");
    Path rootfs = bundle.resolve("rootfs");
    for (Path p : List.of(scratch, rootfs)) {
      Files.createDirectories(p);
    }
    Deque<KernelMount> made = new ArrayDeque<>();
    try {
      made.push(
          KernelMount.mount(
              "tmpfs",
              "blocklift-scratch",
              "size=" + sandbox.scratch().bytes() + ",mode=0700,nodev,nosuid",
              scratch));
      Path upper = scratch.resolve("upper");
      Path overlayWork = scratch.resolve("work");
      Files.createDirectory(upper);
      Files.createDirectory(overlayWork);
      // The merged root takes the upper directory's owner and mode: give it the image's.
      for (String attr : List.of("unix:uid", "unix:gid", "unix:mode")) {
        Files.setAttribute(upper, attr, Files.getAttribute(lower, attr));
      }
      made.push(
          KernelMount.mount(
              "overlay",
              "blocklift-rootfs",
              "lowerdir="
                  + overlayPath(lower)
                  + ",upperdir="
                  + overlayPath(upper)
                  + ",workdir="
                  + overlayPath(overlayWork)
                  + ",nodev",
              rootfs));
      OciBundle.User user = OciBundle.user(config.user(), rootfs);
      OciBundle.write(bundle, config, command, user, "blocklift", sandbox, extras);
      return List.of(rootfs, scratch);
    } catch (IOException | RuntimeException e) {
      while (!made.isEmpty()) {
        try {
          made.pop().close();
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }

  private static String overlayPath(Path p) {
    String s = p.toAbsolutePath().normalize().toString();
    if (s.contains(",") || s.contains(":") || s.contains("\\")) {
      throw new IllegalArgumentException(
          "the run's work directory must not contain , : or \\ (overlayfs options), got " + s);
    }
    return s;
  }

  private synchronized <T extends AutoCloseable> T own(T resource) throws IOException {
    if (closed) {
      try {
        resource.close();
      } catch (Exception e) {
        LOG.log(System.Logger.Level.WARNING, "cleanup of run " + id + ": " + e.getMessage());
      }
      throw new IOException("run " + id + " was closed while it was being prepared");
    }
    owned.push(resource);
    return resource;
  }

  public Path bundle() {
    return work.resolve("bundle");
  }

  /** The image's read-only mount (the overlay's lower layer). */
  public ImageMount mount() {
    return mount;
  }

  /** Where the container's writes to its rootfs land: the overlay's upper layer, on the scratch. */
  public Path upperDir() {
    return work.resolve("scratch").resolve("upper");
  }

  /** Runs the container to completion with inherited stdio; returns its exit code. */
  public int run() throws IOException {
    return run(ProcessBuilder.Redirect.INHERIT, ProcessBuilder.Redirect.INHERIT);
  }

  /** Runs the container with stdout/stderr sent where given (stdin inherited). */
  public int run(ProcessBuilder.Redirect out, ProcessBuilder.Redirect err) throws IOException {
    ProcessBuilder pb =
        new ProcessBuilder("runc", "run", "--bundle", bundle().toString(), id)
            .redirectInput(ProcessBuilder.Redirect.INHERIT)
            .redirectOutput(out)
            .redirectError(err);
    runc = pb.start();
    try {
      return runc.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while the container ran", e);
    }
  }

  private void closeQuietly() {
    try {
      close();
    } catch (IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "cleanup of run " + id + ": " + e.getMessage());
    }
  }

  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // We are the hook.
    }
    List<Exception> failures = new ArrayList<>();
    Process p = runc;
    if (p != null && p.isAlive()) {
      p.destroy();
      try {
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (p != null) {
      // Whatever state it is in, make sure runc forgets the container (kills what is left).
      Commands.run(List.of("runc", "delete", "--force", id));
    }
    // Reverse order of set-up: overlayfs, scratch tmpfs, the image's mount; then FUSE.
    while (!owned.isEmpty()) {
      try {
        owned.pop().close();
      } catch (Exception e) {
        failures.add(e);
      }
    }
    try {
      fuse.close();
    } catch (IOException e) {
      failures.add(e);
    }
    for (String dir : List.of("bundle", "lower", "scratch")) {
      deleteTree(work.resolve(dir), failures);
    }
    try {
      Files.deleteIfExists(work.resolve("fuse"));
      Files.deleteIfExists(work);
    } catch (IOException e) {
      failures.add(e);
    }
    if (!failures.isEmpty()) {
      IOException e = new IOException("cleanup of run " + id + " was incomplete");
      failures.forEach(e::addSuppressed);
      throw e;
    }
  }

  private static void deleteTree(Path dir, List<Exception> failures) {
    if (!Files.exists(dir)) {
      return;
    }
    // Only ever called after everything is unmounted; never cross into a mount.
    Optional<String> mounted = mountUnder(dir);
    if (mounted.isPresent()) {
      failures.add(new IOException(mounted.get() + " is still mounted; not deleting " + dir));
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      failures.add(e);
    }
  }

  static boolean isMountPoint(Path dir) {
    String target = dir.toAbsolutePath().normalize().toString();
    try {
      return Files.readAllLines(Path.of("/proc/self/mounts")).stream()
          .map(l -> l.split(" "))
          .anyMatch(f -> f.length > 1 && unescapeMountPath(f[1]).equals(target));
    } catch (IOException e) {
      return true;
    }
  }

  /** A mount point at or under {@code dir} (or {@code dir} itself if the mounts are unreadable). */
  private static Optional<String> mountUnder(Path dir) {
    String target = dir.toAbsolutePath().normalize().toString();
    try {
      return Files.readAllLines(Path.of("/proc/self/mounts")).stream()
          .map(l -> l.split(" "))
          .filter(f -> f.length > 1)
          .map(f -> unescapeMountPath(f[1]))
          .filter(m -> m.equals(target) || m.startsWith(target + "/"))
          .findFirst();
    } catch (IOException e) {
      return Optional.of(target);
    }
  }

  /** /proc/self/mounts writes space, tab, newline and backslash as octal escapes. */
  private static String unescapeMountPath(String s) {
    return s.replace("\\040", " ")
        .replace("\\011", "\t")
        .replace("\\012", "\n")
        .replace("\\134", "\\");
  }

  /**
   * A file system mounted with {@code mount -t TYPE -o OPTIONS SOURCE TARGET}; {@link #close}
   * unmounts it (lazily if it is busy). Safe to call twice.
   */
  private static final class KernelMount implements AutoCloseable {
    private final Path target;
    private boolean mounted = true;

    KernelMount(Path target) {
      this.target = target;
    }

    static KernelMount mount(String type, String source, String options, Path target)
        throws IOException {
      KernelMounts.mount(type, source, options, target);
      return new KernelMount(target);
    }

    @Override
    public synchronized void close() throws IOException {
      if (!mounted) {
        return;
      }
      mounted = false;
      if (!KernelMounts.unmount(target)) {
        throw new IOException("umount " + target + " failed");
      }
    }
  }
}
