package dev.blocklift.cli;

import dev.blocklift.agent.ContainerRun.Sandbox;
import dev.blocklift.core.ByteSize;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * {@code run}'s confinement: {@code --scratch}, {@code --tmpfs}, {@code --memory}, {@code --cpus},
 * {@code --network}, as a {@code @Mixin}; {@link #sandbox()} validates them into a {@link Sandbox}.
 */
public final class SandboxOptions {
  @Option(
      names = "--scratch",
      paramLabel = "SIZE",
      defaultValue = "512MiB",
      description =
          "All the container can write to its rootfs: a memory-backed tmpfs under an overlay of"
              + " the read-only image, e.g. 512MiB (default: ${DEFAULT-VALUE}; writes beyond it"
              + " fail with ENOSPC).")
  String scratch;

  @Option(
      names = "--tmpfs",
      paramLabel = "PATH[:SIZE]",
      description =
          "Mount a tmpfs (nodev, nosuid, mode 1777) at PATH in the container, e.g. /tmp:64MiB;"
              + " repeatable.")
  List<String> tmpfs = new ArrayList<>();

  @Option(
      names = "--memory",
      paramLabel = "SIZE",
      description = "Memory limit of the container (cgroup), e.g. 256MiB (default: none).")
  String memory;

  @Option(
      names = "--cpus",
      paramLabel = "N",
      description = "CPU time limit in CPUs, fractional, e.g. 0.5 (cgroup quota; default: none).")
  String cpus;

  @Option(
      names = "--network",
      paramLabel = "none|host",
      defaultValue = "none",
      description =
          "none: a network namespace of its own with only lo; host: the host's network, its"
              + " loopback services and ports (default: ${DEFAULT-VALUE}).")
  String network;

  /** The options, validated. */
  public Sandbox sandbox() {
    return new Sandbox(
        parseSize("--scratch", scratch),
        tmpfs.stream().map(t -> option("--tmpfs", () -> Sandbox.TmpfsMount.parse(t))).toList(),
        Optional.ofNullable(memory).map(m -> parseSize("--memory", m)),
        Optional.ofNullable(cpus).map(SandboxOptions::parseCpus),
        option("--network", () -> Sandbox.Network.parse(network)));
  }

  private static ByteSize parseSize(String option, String text) {
    return option(option, () -> ByteSize.parse(text));
  }

  private static double parseCpus(String text) {
    try {
      double c = Double.parseDouble(text.strip());
      if (Double.isFinite(c)) {
        return c;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        "--cpus must be a number such as 0.5 or 2, got \"" + text + "\"");
  }

  private static <T> T option(String option, java.util.function.Supplier<T> parse) {
    try {
      return parse.get();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(option + ": " + e.getMessage(), e);
    }
  }
}
