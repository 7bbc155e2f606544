package dev.blocklift.cli;

import dev.blocklift.core.ImageRef;
import dev.blocklift.core.Platform;
import dev.blocklift.flatten.FlattenResult;
import dev.blocklift.flatten.demo.DemoImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code blocklift demo}: the main job end to end on embedded defaults, as a plain sequence of
 * steps (each prints what it did), so later stages can be appended.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description =
        "Build a small OCI image (layers with files, a whiteout, a hard link, symlinks, a device),"
            + " flatten it to ext4 and check it with e2fsck.")
public final class DemoCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--dir",
      paramLabel = "DIR",
      description = "Work directory (default: a new temporary directory, kept for inspection).")
  Path dir;

  private PrintWriter out;

  @Override
  public Integer call() throws Exception {
    out = spec.commandLine().getOut();
    Path work =
        dir != null ? Files.createDirectories(dir) : Files.createTempDirectory("blocklift-demo-");

    // Step 1: a small OCI image layout, written by blocklift itself.
    Path layout = DemoImage.write(work.resolve("oci"));
    step("built an OCI image layout with 3 layers at " + layout);

    // Step 2: flatten it to one ext4 image.
    Path image = work.resolve("rootfs.ext4");
    FlattenResult r =
        FlattenCommand.run(
            new ImageRef.OciLayout(layout, Optional.of("latest")),
            Platform.LINUX_AMD64,
            image,
            false);
    step(FlattenCommand.describe(r));

    // Step 3: the standard tool as the oracle.
    fsck(image);

    out.println("demo done; files are in " + work);
    out.flush();
    return 0;
  }

  private void step(String message) {
    out.println("==> " + message);
    out.flush();
  }

  private void fsck(Path image) throws IOException, InterruptedException {
    Optional<Path> e2fsck =
        List.of("/usr/sbin/e2fsck", "/sbin/e2fsck", "/usr/bin/e2fsck").stream()
            .map(Path::of)
            .filter(Files::isExecutable)
            .findFirst();
    if (e2fsck.isEmpty()) {
      step("e2fsck not installed (apt install e2fsprogs); skipped the check");
      return;
    }
    Process p =
        new ProcessBuilder(e2fsck.get().toString(), "-fn", image.toString())
            .redirectErrorStream(true)
            .start();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(2, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IOException("e2fsck did not finish within 2 minutes on " + image);
    }
    step("e2fsck -fn " + image.getFileName() + " exited " + p.exitValue());
    out.print(text.indent(4));
    if (p.exitValue() != 0) {
      throw new dev.blocklift.core.BlockliftException(
          "e2fsck found problems in " + image + " (exit " + p.exitValue() + ")");
    }
  }
}
