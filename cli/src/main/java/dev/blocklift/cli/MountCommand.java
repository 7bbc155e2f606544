package dev.blocklift.cli;

import dev.blocklift.agent.ContainerRun;
import dev.blocklift.agent.MountDaemon;
import dev.blocklift.agent.MountState;
import dev.blocklift.agent.Worker;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ImageName;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code blocklift mount NAME[:TAG] DIR}: mounts the image's ext4 on DIR, loaded on demand. The
 * FUSE file is served by a background process of its own (started here, detached with setsid),
 * which {@code blocklift umount DIR} stops.
 */
@Command(
    name = "mount",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description =
        "Mount a converted image's file system on DIR, fetching blocks on first read (needs root"
            + " and FUSE). Writes go to a local copy-on-write overlay; undo with blocklift umount.")
public final class MountCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "NAME[:TAG]", description = "The image, as converted.")
  String image;

  @Parameters(index = "1", paramLabel = "DIR", description = "Where to mount it (must exist).")
  Path dir;

  @Option(names = "--ro", description = "Mount read-only (no overlay).")
  boolean readOnly;

  @Option(
      names = "--keep-overlay",
      description = "Keep the copy-on-write overlay after umount (reused by the next mount).")
  boolean keepOverlay;

  @Option(
      names = "--overlay-dir",
      paramLabel = "DIR",
      description = "Where the overlay lives (default: HOME/overlays/<image> with --keep-overlay).")
  Path overlayDir;

  @Option(names = "--foreground", hidden = true, description = "Serve in this process.")
  boolean foreground;

  @Option(names = "--ready-file", hidden = true, description = "Written once mounted.")
  Path readyFile;

  @Mixin RunCommand.WorkerOptions worker;

  @Override
  public Integer call() throws Exception {
    ImageName name = ImageName.parse(image);
    if (!Files.isDirectory(dir)) {
      throw new BlockliftException("mount point " + dir + " is not a directory; create it first");
    }
    ContainerRun.checkHost(false);
    worker.config(); // validate the flags and config file before starting anything
    Path state = MountState.stateDir(dir);
    Path overlay =
        overlayDir != null
            ? overlayDir
            : keepOverlay
                ? worker.home().resolve("overlays").resolve(name.toString().replace('/', '_'))
                : state.resolve("overlay");
    if (foreground) {
      try (Worker w = worker.open()) {
        Worker.Image img = w.open(name);
        MountDaemon.serve(w, img, dir, readOnly, overlay, keepOverlay, readyFile);
      }
      return 0;
    }
    if (MountState.read(state).isPresent()) {
      throw new BlockliftException(
          dir + " is already a blocklift mount; run `blocklift umount " + dir + "` first");
    }
    Files.createDirectories(MountState.runRoot().resolve("mounts"));
    Path ready = Files.createTempFile(MountState.runRoot().resolve("mounts"), "ready-", "");
    Files.delete(ready);
    Path log = state.resolveSibling(state.getFileName() + ".log");
    List<String> cmd = new ArrayList<>();
    cmd.add("setsid");
    cmd.add(
        ProcessHandle.current()
            .info()
            .command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    cmd.add("--enable-native-access=ALL-UNNAMED");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    cmd.addAll(List.of("mount", image, dir.toAbsolutePath().toString(), "--foreground"));
    cmd.addAll(List.of("--ready-file", ready.toString(), "--overlay-dir", overlay.toString()));
    if (readOnly) {
      cmd.add("--ro");
    }
    if (keepOverlay) {
      cmd.add("--keep-overlay");
    }
    cmd.addAll(worker.args());
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!Files.exists(ready)) {
      if (!p.isAlive()) {
        String why = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8).strip() : "";
        throw new BlockliftException(
            "mounting " + name + " on " + dir + " failed: " + lastLines(why));
      }
      if (System.nanoTime() > deadline) {
        p.destroy();
        throw new BlockliftException("mounting " + name + " on " + dir + " timed out; see " + log);
      }
      Thread.sleep(50);
    }
    Files.deleteIfExists(ready);
    spec.commandLine()
        .getOut()
        .println(
            "mounted "
                + name
                + " on "
                + dir
                + (readOnly ? " (read-only)" : "")
                + ", served by pid "
                + p.pid()
                + "; undo with: blocklift umount "
                + dir);
    return 0;
  }

  private static String lastLines(String text) {
    List<String> lines = text.lines().toList();
    // The serving process prints "blocklift: <message>" for user errors: show that line alone.
    for (String l : lines.reversed()) {
      if (l.startsWith("blocklift: ")) {
        return l.substring("blocklift: ".length());
      }
    }
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
  }
}
