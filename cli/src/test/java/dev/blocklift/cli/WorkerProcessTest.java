package dev.blocklift.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.blocklift.testing.Processes;
import dev.blocklift.testing.Requirements;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code blocklift worker} as a real process, driven as users drive it: {@code ./blocklift run}
 * (the launcher's shell client: no JVM), {@code curl --unix-socket}, signals and kill -9.
 */
class WorkerProcessTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;
  Path home;
  Path socket;
  Path state;
  Path mnt;
  Process worker;
  Path workerLog;

  @BeforeEach
  void setUp() throws Exception {
    Requirements.root();
    Requirements.fuse();
    Requirements.loopDevices();
    Requirements.commands("runc", "mkfs.ext4", "curl", "setpriv", "losetup");
    home = tmp.resolve("home");
    BusyboxFixture.convert(tmp, home, "busybox:1");
    socket = tmp.resolve("worker.sock");
    state = tmp.resolve("state");
    mnt = Files.createDirectories(tmp.resolve("mnt"));
    startWorker("rw-rw----");
  }

  @AfterEach
  void tearDown() throws Exception {
    if (worker != null && worker.isAlive()) {
      worker.destroy();
      worker.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
    }
    // Whatever a failed test left: stop it from holding the temp directory.
    startCleanupWorker();
  }

  /** Starts {@code blocklift worker} on this test's home, socket, state and mount root. */
  Process launchWorker(Path log, String... extra) throws IOException {
    return launchWorker(log, home, socket, state, mnt, extra);
  }

  /**
   * Starts {@code blocklift worker} on {@code home}, {@code socket}, {@code state}, {@code mnt}.
   */
  static Process launchWorker(
      Path log, Path home, Path socket, Path state, Path mnt, String... extra) throws IOException {
    List<String> cmd = java();
    cmd.addAll(
        List.of(
            "worker",
            "--home",
            home.toString(),
            "--socket",
            socket.toString(),
            "--state",
            state.toString(),
            "--mount-root",
            mnt.toString()));
    cmd.addAll(List.of(extra));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  /** Whether {@code p} said it serves its API within 60 s (false if it exited or did not). */
  static boolean awaitServing(Process p, Path log) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline && p.isAlive()) {
      if (Files.readString(log).contains("API on unix:")) {
        return true;
      }
      p.waitFor(50, java.util.concurrent.TimeUnit.MILLISECONDS);
    }
    return Files.readString(log).contains("API on unix:");
  }

  void startWorker(String socketMode) throws Exception {
    workerLog = tmp.resolve("worker-" + System.nanoTime() + ".log");
    worker =
        launchWorker(
            workerLog,
            "--socket-mode",
            socketMode,
            "--memory-cache",
            "64MiB",
            "--plaintext-cache",
            "16MiB");
    if (!awaitServing(worker, workerLog)) {
      throw new AssertionError(
          (worker.isAlive() ? "the worker did not start: " : "the worker exited: ")
              + Files.readString(workerLog));
    }
  }

  /** A worker started with --unmount-on-exit and stopped at once undoes anything left. */
  void startCleanupWorker() throws Exception {
    if (!Files.isDirectory(state)) {
      return;
    }
    Path log = tmp.resolve("cleanup.log");
    Process p = launchWorker(log, "--unmount-on-exit");
    awaitServing(p, log);
    p.destroy();
    p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
  }

  static List<String> java() {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("--enable-native-access=ALL-UNNAMED");
    cmd.add("-Xmx256m");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    return cmd;
  }

  /** The launcher, as a user runs it (its worker path is shell + curl + runc). */
  Processes.Result launcher(String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("bash", launcherPath().toString()));
    cmd.addAll(List.of(args));
    return Processes.run(Duration.ofMinutes(2), null, cmd);
  }

  static Path launcherPath() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.exists(p.resolve("blocklift"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new AssertionError("no ./blocklift launcher above " + Path.of("").toAbsolutePath());
    }
    return p.resolve("blocklift");
  }

  Processes.Result curl(String... args) throws IOException {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "curl",
                "-sS",
                "--max-time",
                "60",
                "--unix-socket",
                socket.toString(),
                "-w",
                "\n%{http_code}"));
    cmd.addAll(List.of(args));
    return Processes.run(Duration.ofMinutes(2), null, cmd);
  }

  /** Runs {@code command} as user nobody (uid/gid 65534, no supplementary groups). */
  static Processes.Result asNobody(String... command) throws IOException {
    List<String> cmd =
        new ArrayList<>(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
    cmd.addAll(List.of(command));
    return Processes.run(Duration.ofSeconds(30), null, cmd);
  }

  static int status(Processes.Result r) {
    String out = r.stdout().strip();
    return Integer.parseInt(out.substring(out.lastIndexOf('\n') + 1));
  }

  @Test
  void runThroughTheWorkerKeepsOutputExitCodeAndReportsItsFetches() throws Exception {
    Path stats = tmp.resolve("stats.json");
    Processes.Result r =
        launcher(
            "run",
            "--worker",
            socket.toString(),
            "busybox:1",
            "--stats-json",
            stats.toString(),
            "--",
            "sh",
            "-c",
            "cat /data/blob >/dev/null; echo hi $WHO; exit 7");
    assertEquals(7, r.exitCode(), r.stderr());
    assertEquals("hi world\n", r.stdout());
    JsonNode j = JSON.readTree(stats.toFile());
    assertEquals("worker", j.get("via").asText(), j.toString());
    assertEquals(7, j.get("exitCode").asInt());
    assertTrue(j.get("storeGets").asLong() > 0, j.toString());
    assertTrue(j.get("chunkFetches").asLong() > 0, j.toString());
    // A second run of the image is served by the worker's shared cache: no store read.
    Path again = tmp.resolve("again.json");
    Processes.Result r2 =
        launcher(
            "run",
            "--worker",
            socket.toString(),
            "busybox:1",
            "--stats-json",
            again.toString(),
            "--",
            "cat",
            "/data/blob");
    assertEquals(0, r2.exitCode(), r2.stderr());
    assertEquals(
        0, JSON.readTree(again.toFile()).get("storeGets").asLong(), r2.stdout().length() + "");
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (mountsListed() != 0) { // a finished run's mounts are undone after its answer
      assertTrue(System.nanoTime() < deadline, "runs leave no mount behind");
      Thread.sleep(50); // polling the worker; the deadline bounds it
    }
    // Worker-level options are refused, with the reason.
    Processes.Result bad =
        launcher("run", "--worker", socket.toString(), "busybox:1", "--memory-cache", "1GiB");
    assertEquals(125, bad.exitCode());
    assertTrue(bad.stderr().contains("--memory-cache configure the worker"), bad.stderr());
  }

  int mountsListed() throws IOException {
    Processes.Result r = curl("http://worker/mounts");
    String body = r.stdout().strip();
    body = body.substring(0, body.lastIndexOf('\n'));
    return JSON.readTree(body).size();
  }

  @Test
  void onlyRootOrTheGroupMayCallAndMountsAreConfinedAndNosuid() throws Exception {
    // The socket is 0660: user nobody cannot even connect.
    Processes.Result nobody =
        asNobody("curl", "-sS", "--unix-socket", socket.toString(), "http://worker/mounts");
    assertTrue(nobody.exitCode() != 0, nobody.stdout());
    assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
    // Mount targets are confined to the mount roots.
    Processes.Result etc = curl("-X", "POST", "http://worker/mount?image=busybox:1&dir=/etc");
    assertEquals(400, status(etc), etc.stdout());
    assertTrue(etc.stdout().contains("not under a mount root"), etc.stdout());
    Processes.Result yes =
        curl("-X", "POST", "http://worker/mount?image=busybox:1&ro=yes&dir=" + mnt);
    assertEquals(400, status(yes), "strict booleans: " + yes.stdout());
    Path dir = Files.createDirectories(mnt.resolve("a"));
    Processes.Result ok = curl("-X", "POST", "http://worker/mount?image=busybox:1&dir=" + dir);
    assertEquals(200, status(ok), ok.stdout());
    Processes.Result twice = curl("-X", "POST", "http://worker/mount?image=busybox:1&dir=" + dir);
    assertEquals(400, status(twice), twice.stdout());
    String options = mountOptions(dir);
    assertTrue(options.contains("nosuid") && options.contains("nodev"), options);
    // The image's setuid-root probe does not make nobody root through the mount: it exits with
    // its effective uid, 65534 & 0xff = 254 (0 would mean the setuid bit took effect).
    Processes.Result euid = asNobody(dir.resolve("bin/euid").toString());
    assertEquals(254, euid.exitCode(), euid.stderr());
    // Overlays and state are private.
    Files.writeString(dir.resolve("tmp/note"), "x", StandardCharsets.UTF_8);
    try (Stream<Path> s = Files.walk(state.resolve("overlays"))) {
      for (Path p : s.toList()) {
        String perms = PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
        assertEquals(Files.isDirectory(p) ? "rwx------" : "rw-------", perms, p.toString());
      }
    }
    assertEquals(200, status(curl("-X", "POST", "http://worker/umount?dir=" + dir)));
    assertFalse(Files.exists(dir.resolve("bin")));
  }

  @Test
  void aCallerOutsideTheGroupIsRefusedByPeerCredentials() throws Exception {
    worker.destroy();
    worker.waitFor();
    // A socket that anyone may connect to (in a directory anyone may enter): the peer
    // credentials check alone must refuse the caller.
    Path open = Files.createTempDirectory(Path.of("/tmp"), "blocklift-sock");
    try {
      Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));
      socket = open.resolve("worker.sock");
      startWorker("rw-rw-rw-");
      Processes.Result nobody =
          asNobody(
              "curl",
              "-sS",
              "-w",
              "\n%{http_code}",
              "--unix-socket",
              socket.toString(),
              "http://worker/mounts");
      assertEquals(403, status(nobody), nobody.stdout());
      assertTrue(nobody.stdout().contains("neither root nor a member"), nobody.stdout());
    } finally {
      worker.destroy();
      worker.waitFor();
      Files.deleteIfExists(socket);
      Files.deleteIfExists(open);
    }
  }

  static String mountOptions(Path dir) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String[] f = line.split(" ");
      if (f.length > 5 && f[4].equals(dir.toString())) {
        return f[5];
      }
    }
    throw new AssertionError(dir + " is not mounted");
  }

  /**
   * A container (run through the worker) reading the image's blob with O_DIRECT in a loop, printing
   * its checksum each time: every read goes down to the lazy device.
   */
  Process containerReader(Path out) throws IOException {
    // PID 1 of the container ignores SIGTERM unless it traps it: trap it, so stopping the client
    // (which passes SIGTERM on through runc) ends the run.
    String script =
        "trap 'exit 0' TERM; while :; do dd if=/data/blob iflag=direct bs=64k 2>/dev/null"
            + " | sha256sum | cut -c1-16; done";
    return new ProcessBuilder(
            "bash",
            launcherPath().toString(),
            "run",
            "--worker",
            socket.toString(),
            "busybox:1",
            "--",
            "sh",
            "-c",
            script)
        .redirectOutput(out.toFile())
        .redirectError(tmp.resolve("reader.err").toFile())
        .start();
  }

  static List<String> lines(Path f) throws IOException {
    return Files.readAllLines(f).stream().filter(l -> !l.isBlank()).toList();
  }

  void awaitMoreLines(Path f, int than) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (lines(f).size() <= than + 2) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the reader stopped at " + lines(f).size() + " reads");
      }
      Thread.sleep(20); // polling a file another process writes; the deadline bounds it
    }
  }

  void survivesRestart(boolean kill) throws Exception {
    Path dir = Files.createDirectories(mnt.resolve("c"));
    assertEquals(200, status(curl("-X", "POST", "http://worker/mount?image=busybox:1&dir=" + dir)));
    Files.writeString(dir.resolve("tmp/mine"), "written before", StandardCharsets.UTF_8);
    String expected =
        Processes.run(
                Duration.ofSeconds(30),
                null,
                List.of("sh", "-c", "sha256sum " + BusyboxFixture.blob(tmp) + " | cut -c1-16"))
            .stdout()
            .strip();
    Path out = tmp.resolve("reads.txt");
    Process r = containerReader(out);
    try {
      awaitMoreLines(out, 0);
      if (kill) {
        worker.destroyForcibly();
      } else {
        worker.destroy();
      }
      worker.waitFor();
      int before = lines(out).size();
      startWorker("rw-rw----");
      awaitMoreLines(out, before);
    } finally {
      r.destroy(); // SIGTERM to the client: runc passes it to the container, which ends the run
      r.waitFor();
    }
    for (String l : lines(out)) {
      assertEquals(expected, l, "every read through the mount saw the image's bytes");
    }
    assertEquals(
        "written before", Files.readString(dir.resolve("tmp/mine"), StandardCharsets.UTF_8));
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (mountsListed() != 1) { // the reader's run ends (or is reaped) after its client stops
      assertTrue(System.nanoTime() < deadline, Files.readString(workerLog));
      Thread.sleep(100); // polling the worker; the deadline bounds it
    }
    assertEquals(200, status(curl("-X", "POST", "http://worker/umount?dir=" + dir)));
    // A fresh mount of the image never sees the old mount's writes.
    Path fresh = Files.createDirectories(mnt.resolve("d"));
    assertEquals(
        200, status(curl("-X", "POST", "http://worker/mount?image=busybox:1&dir=" + fresh)));
    assertFalse(Files.exists(fresh.resolve("tmp/mine")));
    assertEquals(200, status(curl("-X", "POST", "http://worker/umount?dir=" + fresh)));
  }

  @Test
  void aMountKeepsServingCorrectBytesAcrossKill9AndRestart() throws Exception {
    survivesRestart(true);
  }

  @Test
  void aMountKeepsServingCorrectBytesAcrossSigtermAndRestart() throws Exception {
    survivesRestart(false);
  }

  @Test
  void whatCannotBeTakenBackIsCleanedUpCompletely() throws Exception {
    Path dir = Files.createDirectories(mnt.resolve("e"));
    assertEquals(200, status(curl("-X", "POST", "http://worker/mount?image=busybox:1&dir=" + dir)));
    Files.writeString(dir.resolve("tmp/lost"), "x", StandardCharsets.UTF_8);
    // kill -9 of the worker and of the FUSE holder: the connection is gone for good.
    long holder =
        JSON.readTree(state.resolve("fuse-state/fuse.json").toFile())
            .findValue("holderPid")
            .asLong();
    worker.destroyForcibly();
    worker.waitFor();
    ProcessHandle.of(holder).ifPresent(ProcessHandle::destroyForcibly);
    startWorker("rw-rw----");
    String log = Files.readString(workerLog);
    assertTrue(log.contains("cleaned up"), log);
    assertEquals(0, mountsListed(), log);
    assertFalse(
        Files.readString(Path.of("/proc/self/mountinfo")).contains(dir.toString()),
        "the dead mount is gone from the mount table");
    try (Stream<Path> s = Files.list(state.resolve("overlays"))) {
      assertEquals(List.of(), s.toList(), "its overlay is deleted");
    }
    String loops = Processes.run(Duration.ofSeconds(30), null, List.of("losetup", "-a")).stdout();
    assertFalse(loops.contains(state.toString()), loops);
    // A fresh mount there works and does not see the lost write.
    assertEquals(200, status(curl("-X", "POST", "http://worker/mount?image=busybox:1&dir=" + dir)));
    assertFalse(Files.exists(dir.resolve("tmp/lost")));
    assertEquals(200, status(curl("-X", "POST", "http://worker/umount?dir=" + dir)));
  }

  @Test
  void aRunWhoseClientDiedIsReaped() throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "bash",
                launcherPath().toString(),
                "run",
                "--worker",
                socket.toString(),
                "busybox:1",
                "--",
                "sleep",
                "300"));
    Process client =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (mountsListed() == 0) {
      assertTrue(System.nanoTime() < deadline, "the run never started");
      client.waitFor(50, java.util.concurrent.TimeUnit.MILLISECONDS);
    }
    client.destroyForcibly(); // kill -9 of the client: runc and the container stay
    client.waitFor();
    while (mountsListed() != 0) {
      assertTrue(System.nanoTime() < deadline, "the dead run was not reaped");
      Thread.sleep(100); // the reaper runs every 2 s; the deadline bounds this poll
    }
    String metrics = curl("http://worker/metrics").stdout();
    assertTrue(metrics.contains("blocklift_worker_runs_reaped_total 1"), metrics);
  }
}
