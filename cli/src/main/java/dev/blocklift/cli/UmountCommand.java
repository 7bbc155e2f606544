package dev.blocklift.cli;

import dev.blocklift.agent.MountDaemon;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code blocklift umount DIR}: undoes {@code blocklift mount} (ext4, loop, FUSE, overlay). */
@Command(
    name = "umount",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description =
        "Unmount an image mounted by blocklift mount: the file system, its loop device, the FUSE"
            + " file and the overlay (unless kept).")
public final class UmountCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "DIR", description = "The mount point.")
  Path dir;

  @Override
  public Integer call() throws Exception {
    MountDaemon.unmount(dir, Duration.ofSeconds(60));
    spec.commandLine().getOut().println("unmounted " + dir);
    return 0;
  }
}
