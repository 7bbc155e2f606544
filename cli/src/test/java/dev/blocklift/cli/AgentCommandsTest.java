package dev.blocklift.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.testing.Processes;
import dev.blocklift.testing.Requirements;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code blocklift run}, {@code mount} and {@code umount} end to end, as a user runs them. */
class AgentCommandsTest {
  @TempDir Path tmp;
  Path home;
  byte[] data;

  @BeforeEach
  void convertBusybox() throws Exception {
    Requirements.root();
    Requirements.fuse();
    Requirements.loopDevices();
    Requirements.commands("runc", "mkfs.ext4", "setsid");
    home = tmp.resolve("home");
    data = BusyboxFixture.convert(tmp, home, "busybox:1");
  }

  /** Runs the CLI in a child JVM (runc's stdio is the process's own), capturing its output. */
  Processes.Result cli(String... args) throws IOException {
    return cliIn(null, args);
  }

  /** As {@link #cli}, with the run/mount state under {@code runRoot} when not null. */
  Processes.Result cliIn(Path runRoot, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("--enable-native-access=ALL-UNNAMED");
    if (runRoot != null) {
      cmd.add("-Dblocklift.run=" + runRoot);
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    cmd.addAll(List.of(args));
    return Processes.run(Duration.ofMinutes(3), null, cmd);
  }

  @Test
  void runPrintsWhatTheCommandPrintsAndReturnsItsExitCode() throws Exception {
    String h = home.toString();
    Processes.Result r =
        cli("run", "busybox:1", "--home", h, "--", "sh", "-c", "echo hi from $WHO; exit 7");
    assertEquals(7, r.exitCode(), r.stderr());
    assertEquals("hi from world\n", r.stdout());

    Processes.Result dflt = cli("run", "busybox:1", "--home", h, "--memory-cache", "0");
    assertEquals(0, dflt.exitCode(), dflt.stderr());
    assertEquals("hello world\n", dflt.stdout());
  }

  @Test
  void runWritesItsStatsAndATraceTheSimulatorReplays() throws Exception {
    Path stats = tmp.resolve("stats.json");
    Path trace = tmp.resolve("run.trace");
    Processes.Result r =
        cli(
            "run",
            "busybox:1",
            "--home",
            home.toString(),
            "--stats-json",
            stats.toString(),
            "--trace",
            trace.toString(),
            "--",
            "sh",
            "-c",
            "cat /data/blob > /dev/null && echo read");
    assertEquals(0, r.exitCode(), r.stderr());
    assertEquals("read\n", r.stdout());
    com.fasterxml.jackson.databind.JsonNode j =
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(stats.toFile());
    assertEquals(0, j.get("exitCode").asInt());
    assertEquals("busybox:1", j.get("image").asText());
    long gets = j.get("storeGets").asLong();
    assertTrue(gets > 0, j.toString());
    // One run, one cache: every chunk the store served was asked for once.
    assertEquals(j.get("storeDistinctChunks").asLong(), gets, j.toString());
    assertTrue(j.get("storeBytes").asLong() >= data.length, "the blob was read: " + j);
    assertTrue(j.get("imageDataBytes").asLong() >= data.length, j.toString());
    double opened = j.get("openedSeconds").asDouble();
    double mounted = j.get("mountedSeconds").asDouble();
    double exited = j.get("containerExitedSeconds").asDouble();
    double unmounted = j.get("unmountedSeconds").asDouble();
    assertTrue(
        0 < opened && opened <= mounted && mounted <= exited && exited <= unmounted, j.toString());

    dev.blocklift.cache.sim.Trace t = dev.blocklift.cache.sim.TraceFormat.read(trace);
    assertEquals(j.get("chunkReads").asLong(), t.length(), j.toString());
    assertEquals(gets, t.uniqueKeys(), j.toString());
    assertEquals(
        t.length() - t.uniqueKeys(),
        dev.blocklift.cache.sim.Simulator.simulate(t, "lru", t.uniqueBytes(), "all").hits());
  }

  @Test
  void clearErrorsForBadInput() throws Exception {
    String h = home.toString();
    Processes.Result missing = cli("run", "nosuch:1", "--home", h);
    assertEquals(1, missing.exitCode());
    assertTrue(missing.stderr().contains("nosuch:1 is not in store"), missing.stderr());
    // A failure after the FUSE mount was started ahead (the cache size is read when the worker
    // opens) leaves nothing mounted and no run directory.
    Path runRoot = tmp.resolve("run-root");
    Processes.Result size = cliIn(runRoot, "run", "busybox:1", "--home", h, "--disk-cache", "lots");
    assertEquals(1, size.exitCode());
    assertTrue(size.stderr().contains("\"lots\""), size.stderr());
    assertFalse(
        Files.readString(Path.of("/proc/mounts")).contains(runRoot.toString()),
        "a FUSE mount was left under " + runRoot);
    try (var left = Files.list(runRoot.resolve("runs"))) {
      assertEquals(List.of(), left.toList());
    }
    Processes.Result timeout = cli("run", "busybox:1", "--home", h, "--fetch-timeout", "soon");
    assertEquals(1, timeout.exitCode());
    assertTrue(timeout.stderr().contains("\"soon\""), timeout.stderr());
  }

  @Test
  void mountShowsTheImageAndUmountUndoesEverything() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("mnt"));
    try {
      assertEquals(
          0, Main.run("mount", "busybox:1", dir.toString(), "--home", home.toString(), "--ro"));
      assertArrayEquals(data, Files.readAllBytes(dir.resolve("data/blob")));
      assertTrue(Files.isSymbolicLink(dir.resolve("bin/sh")));
    } finally {
      assertEquals(0, Main.run("umount", dir.toString()));
    }
    assertFalse(Files.exists(dir.resolve("data")), "nothing left mounted on " + dir);
    assertEquals(1, Main.run("umount", dir.toString()), "a second umount is a clear error");
  }

  @Test
  void aReadWriteMountKeepsWritesInItsOverlay() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("mnt"));
    Path overlay = tmp.resolve("overlay");
    try {
      assertEquals(
          0,
          Main.run(
              "mount",
              "busybox:1",
              dir.toString(),
              "--home",
              home.toString(),
              "--keep-overlay",
              "--overlay-dir",
              overlay.toString()));
      Files.writeString(dir.resolve("tmp/note"), "kept", StandardCharsets.UTF_8);
    } finally {
      assertEquals(0, Main.run("umount", dir.toString()));
    }
    assertTrue(Files.size(overlay.resolve("overlay.bitmap")) > 0, "overlay kept");
    try {
      assertEquals(
          0,
          Main.run(
              "mount",
              "busybox:1",
              dir.toString(),
              "--home",
              home.toString(),
              "--keep-overlay",
              "--overlay-dir",
              overlay.toString()));
      assertEquals("kept", Files.readString(dir.resolve("tmp/note"), StandardCharsets.UTF_8));
    } finally {
      assertEquals(0, Main.run("umount", dir.toString()));
    }
  }
}
