package dev.blocklift.agent;

import dev.blocklift.core.BlockliftException;
import dev.blocklift.image.ImageConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code blocklift run}: mounts an image lazily (FUSE file → loop → ext4, read-write through a
 * per-run overlay) as the rootfs of an OCI bundle and runs it with {@code runc run}, stdio
 * inherited. Everything is undone when the container exits, when {@link #close} is called, and from
 * a shutdown hook on Ctrl-C.
 *
 * <p>Layout under the work directory: {@code fuse/} (the FUSE mount), {@code overlay/}, {@code
 * bundle/config.json} and {@code bundle/rootfs} (the ext4 mount).
 */
public final class ContainerRun implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(ContainerRun.class.getName());

  private final Path work;
  private final String id;
  private final FuseServer fuse;
  private final ImageMount mount;
  private final Thread hook;
  private volatile Process runc;
  private boolean closed;

  private ContainerRun(Path work, String id, FuseServer fuse, ImageMount mount) {
    this.work = work;
    this.id = id;
    this.fuse = fuse;
    this.mount = mount;
    this.hook = new Thread(this::closeQuietly, "blocklift-run-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
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
   * Mounts the image under {@code work} and writes the bundle's config.
   *
   * @param id the container id for runc (unique on this host)
   */
  public static ContainerRun prepare(
      Path work, String id, LazyDevice device, ImageConfig config, List<String> command)
      throws IOException {
    Files.createDirectories(work);
    return prepare(work, id, FuseServer.mount(work.resolve("fuse")), device, config, command);
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
    Path bundle = work.resolve("bundle");
    try {
      Files.createDirectories(bundle.resolve("rootfs"));
    } catch (IOException e) {
      fuse.close();
      throw e;
    }
    ImageMount mount;
    try {
      mount =
          ImageMount.open(
              fuse,
              "image",
              device,
              bundle.resolve("rootfs"),
              false,
              work.resolve("overlay"),
              false);
    } catch (IOException | RuntimeException e) {
      fuse.close();
      throw e;
    }
    ContainerRun run = new ContainerRun(work, id, fuse, mount);
    try {
      OciBundle.User user = OciBundle.user(config.user(), bundle.resolve("rootfs"));
      OciBundle.write(bundle, config, command, user, "blocklift");
      return run;
    } catch (IOException | RuntimeException e) {
      run.close();
      throw e;
    }
  }

  public Path bundle() {
    return work.resolve("bundle");
  }

  public ImageMount mount() {
    return mount;
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
    try {
      mount.close();
    } catch (IOException e) {
      failures.add(e);
    }
    try {
      fuse.close();
    } catch (IOException e) {
      failures.add(e);
    }
    deleteTree(work.resolve("bundle"), failures);
    deleteTree(work.resolve("overlay"), failures);
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
    // Only ever called after the rootfs is unmounted; never cross into a mount.
    if (isMountPoint(dir.resolve("rootfs"))) {
      failures.add(new IOException(dir.resolve("rootfs") + " is still mounted; not deleting"));
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
    try {
      String target = dir.toAbsolutePath().normalize().toString();
      return Files.readAllLines(Path.of("/proc/self/mounts")).stream()
          .map(l -> l.split(" "))
          .anyMatch(f -> f.length > 1 && f[1].equals(target));
    } catch (IOException e) {
      return true;
    }
  }
}
