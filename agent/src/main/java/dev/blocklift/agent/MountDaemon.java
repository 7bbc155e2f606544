package dev.blocklift.agent;

import dev.blocklift.core.BlockliftException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * {@code blocklift mount}/{@code umount}: a mount is served by a process of its own (the FUSE file
 * lives in its JVM) that holds the image's device until it is told to stop (SIGTERM, sent by {@link
 * #unmount}); its shutdown hook undoes the ext4 mount, the loop device, the FUSE mount and the
 * overlay. State for {@code umount} is kept in {@link MountState}.
 */
public final class MountDaemon {
  private static final System.Logger LOG = System.getLogger(MountDaemon.class.getName());

  private MountDaemon() {}

  /**
   * Serves {@code image} mounted on {@code dir} until the process is stopped. Writes {@code
   * readyFile} once the mount is usable. Never returns normally.
   */
  public static void serve(
      Worker worker,
      Worker.Image image,
      Path dir,
      boolean readOnly,
      Path overlayDir,
      boolean keepOverlay,
      Path readyFile)
      throws IOException, InterruptedException {
    Path state = MountState.stateDir(dir);
    if (MountState.read(state).isPresent() || ContainerRun.isMountPoint(dir)) {
      throw new BlockliftException(
          dir + " is already a mount point; run `blocklift umount " + dir + "` first");
    }
    Files.createDirectories(state);
    FuseServer fuse = FuseServer.mount(state.resolve("fuse"));
    ImageMount mount;
    try {
      mount =
          ImageMount.open(fuse, "image", image.device(), dir, readOnly, overlayDir, keepOverlay);
    } catch (IOException | RuntimeException e) {
      fuse.close();
      worker.close();
      deleteTree(state);
      throw e;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    mount.close();
                    fuse.close();
                    worker.close();
                    deleteTree(state);
                  } catch (IOException | RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "cleanup of " + dir + ": " + e);
                  } finally {
                    stopped.countDown();
                  }
                },
                "blocklift-umount"));
    new MountState(
            ProcessHandle.current().pid(),
            image.name().toString(),
            dir.toAbsolutePath().normalize().toString(),
            fuse.mountPoint().toString(),
            mount.loopDevice(),
            readOnly)
        .write(state);
    if (readyFile != null) {
      Files.writeString(readyFile, "ready\n", StandardCharsets.UTF_8);
    }
    stopped.await();
  }

  /**
   * Undoes the mount at {@code dir}: stops its serving process (whose hook cleans up) and, if that
   * process is gone, cleans up what it left (ext4 mount, loop device, FUSE mount, state).
   */
  public static void unmount(Path dir, Duration wait) throws IOException {
    Path state = MountState.stateDir(dir);
    MountState s =
        MountState.read(state)
            .orElseThrow(
                () -> new BlockliftException(dir + " is not a blocklift mount (no state found)"));
    ProcessHandle.of(s.pid())
        .ifPresent(
            p -> {
              p.destroy();
              try {
                p.onExit().get(wait.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
              } catch (java.util.concurrent.TimeoutException e) {
                LOG.log(System.Logger.Level.WARNING, "mount process " + s.pid() + " slow to stop");
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              } catch (java.util.concurrent.ExecutionException e) {
                // It ended anyway.
              }
            });
    Path log = state.resolveSibling(state.getFileName() + ".log");
    if (MountState.read(state).isEmpty()) {
      Files.deleteIfExists(log);
      return; // the serving process cleaned up everything
    }
    // Whatever the serving process could not do (it crashed, or was killed): do it here.
    if (ContainerRun.isMountPoint(Path.of(s.dir()))) {
      Commands.run(List.of("umount", s.dir()));
    }
    if (!s.loopDevice().isEmpty()) {
      Commands.run(List.of("losetup", "-d", s.loopDevice()));
    }
    if (ContainerRun.isMountPoint(Path.of(s.fuseDir()))) {
      Commands.run(List.of("fusermount3", "-u", "-z", s.fuseDir()));
    }
    if (ContainerRun.isMountPoint(Path.of(s.dir()))) {
      throw new IOException("could not unmount " + s.dir() + " (busy?)");
    }
    deleteTree(state);
    Files.deleteIfExists(log);
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        if (!ContainerRun.isMountPoint(p)) {
          Files.deleteIfExists(p);
        }
      }
    }
  }
}
