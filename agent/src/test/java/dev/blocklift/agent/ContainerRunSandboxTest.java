package dev.blocklift.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.agent.ContainerRun.Sandbox;
import dev.blocklift.core.ByteSize;
import dev.blocklift.core.ChunkName;
import dev.blocklift.image.ImageConfig;
import dev.blocklift.store.FakeChunkSource;
import dev.blocklift.testing.Processes;
import dev.blocklift.testing.Requirements;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code runc run} under a {@link Sandbox}, checked from inside the container: the scratch bounds
 * the rootfs's writes, extra tmpfs, cgroup limits, network, capabilities, no_new_privs, device
 * nodes and setuid binaries of the image.
 */
class ContainerRunSandboxTest {
  /** Docker's default capabilities as a CapEff mask (as {@code docker run} shows for root). */
  static final String DOCKER_CAP_EFF = "00000000a80425fb";

  @TempDir Path tmp;

  private SandboxFixture fixture;
  private FakeChunkSource src;
  private TestChunks map;

  @BeforeEach
  void image() throws IOException {
    Requirements.root();
    Requirements.fuse();
    Requirements.loopDevices();
    Requirements.commands("runc", "mkfs.ext4", "mknod", "setpriv");
    Path host = SandboxFixture.hostBlockDevice();
    Requirements.require(host != null, "needs a host block device (/dev/vda, /dev/loop0, ...)");
    fixture = SandboxFixture.build(tmp, host);
    src = new FakeChunkSource();
    map =
        new TestChunks(
            "sandbox", Files.readAllBytes(fixture.image), FuseDeviceTest.CHUNK, new byte[32], src);
  }

  /** What one container run printed, as KEY=VALUE lines, and its exit code. */
  record Output(int exit, Map<String, String> values, String stdout, String stderr) {
    String get(String key) {
      assertTrue(values.containsKey(key), "no " + key + " in:\n" + stdout + "\nstderr:\n" + stderr);
      return values.get(key);
    }
  }

  private Output run(String user, Sandbox sandbox, String script) throws IOException {
    ImageConfig config =
        new ImageConfig(
            List.of(),
            List.of("sh"),
            List.of(),
            "/",
            user,
            0,
            "amd64",
            "linux",
            Optional.empty(),
            new TreeMap<>());
    Path work = tmp.resolve("run");
    Path out = tmp.resolve("stdout.txt");
    Path err = tmp.resolve("stderr.txt");
    int exit;
    try (ChunkFetcher f = new ChunkFetcher(src, Duration.ofSeconds(10));
        ContainerRun run =
            ContainerRun.prepare(
                work,
                "blocklift-sbx-" + ProcessHandle.current().pid(),
                new LazyDevice(map, f, map.chunkCount()),
                config,
                List.of("sh", "-c", script),
                sandbox)) {
      exit =
          run.run(
              ProcessBuilder.Redirect.to(out.toFile()), ProcessBuilder.Redirect.to(err.toFile()));
    }
    assertFalse(Files.exists(work), "the run's work directory is gone");
    assertFalse(
        Files.readString(Path.of("/proc/self/mounts")).contains(work.toString()),
        "nothing of the run is still mounted");
    String stdout = Files.readString(out, StandardCharsets.UTF_8);
    Map<String, String> values = new LinkedHashMap<>();
    for (String line : stdout.lines().toList()) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        values.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    return new Output(exit, values, stdout, Files.readString(err, StandardCharsets.UTF_8));
  }

  private static Sandbox scratch(ByteSize size) {
    return new Sandbox(size, List.of(), Optional.empty(), Optional.empty(), Sandbox.Network.NONE);
  }

  @Test
  void theScratchBoundsWritesToTheRootfsAndTheImageIsUntouched() throws IOException {
    Map<ChunkName, byte[]> before = new HashMap<>();
    src.chunks().forEach((k, v) -> before.put(k, v.clone()));
    Output o =
        run(
            "",
            scratch(ByteSize.ofMiB(8)),
            "dd if=/dev/zero of=/fits bs=1M count=6 2>/dev/null; echo fits=$?;"
                + " dd if=/dev/zero of=/overflows bs=1M count=8 2>/dev/shm/dd.err; echo overflows=$?;"
                + " echo dd-error=$(cat /dev/shm/dd.err | grep -o 'No space left on device' | head -n 1);"
                + " echo mounts=$(grep ' / ' /proc/mounts | cut -d' ' -f3,4);"
                + " rm -f /bin/cat; echo unlinked=$?");
    assertEquals("0", o.get("fits"), "6 MiB fit in an 8 MiB scratch");
    assertEquals("1", o.get("overflows"), "8 more MiB do not");
    assertEquals("No space left on device", o.get("dd-error"));
    String root = o.get("mounts");
    assertTrue(root.startsWith("overlay "), root);
    assertTrue(root.contains("nodev"), "the rootfs is nodev: " + root);
    assertEquals("0", o.get("unlinked"), "the rootfs is writable (a whiteout on the scratch)");
    // Every chunk (the image's bytes, ciphertext in every tier) is as it was.
    assertEquals(before.keySet(), src.chunks().keySet());
    before.forEach((k, v) -> assertArrayEquals(v, src.chunks().get(k), "chunk " + k));
  }

  @Test
  void limitsNetworkCapabilitiesAndDeviceNodesAreConfined() throws IOException {
    long rdev = (Long) Files.getAttribute(fixture.hostDevice, "unix:rdev");
    String numbers = SandboxFixture.major(rdev) + " " + SandboxFixture.minor(rdev);
    Sandbox sandbox =
        new Sandbox(
            ByteSize.ofMiB(16),
            List.of(Sandbox.TmpfsMount.parse("/tmp:4MiB")),
            Optional.of(ByteSize.ofMiB(64)),
            Optional.of(0.5),
            Sandbox.Network.NONE);
    Output o =
        run(
            "",
            sandbox,
            "grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs):' /proc/self/status | tr -d '\\t' | tr :"
                + " =;"
                + " echo tmp=$(grep ' /tmp ' /proc/mounts | cut -d' ' -f3,4);"
                + " echo interfaces=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ');"
                + " echo memory=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null"
                + " || cat /sys/fs/cgroup/memory.max);"
                + " echo cpu=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us"
                + " /sys/fs/cgroup/cpu/cpu.cfs_period_us 2>/dev/null || cat /sys/fs/cgroup/cpu.max);"
                + " test -b "
                + SandboxFixture.DEVICE_NODE
                + " && echo image-node=present;"
                + " dd if="
                + SandboxFixture.DEVICE_NODE
                + " of=/dev/null bs=512 count=1 2>/dev/null; echo image-node-read=$?;"
                + " mknod /dev/made b "
                + numbers
                + "; echo mknod=$?;"
                + " dd if=/dev/made of=/dev/null bs=512 count=1 2>/dev/null; echo made-node-read=$?;"
                + " echo dev=$(ls /dev | tr '\\n' ' ');"
                + " echo masked=$(stat -c %t:%T /proc/keys)");
    assertEquals(DOCKER_CAP_EFF, o.get("CapEff"), "Docker's default capabilities, effective");
    assertEquals(DOCKER_CAP_EFF, o.get("CapPrm"));
    assertEquals(DOCKER_CAP_EFF, o.get("CapBnd"));
    assertEquals("1", o.get("NoNewPrivs"));
    String tmpMount = o.get("tmp");
    assertTrue(tmpMount.startsWith("tmpfs "), tmpMount);
    for (String opt : List.of("nosuid", "nodev", "size=4096k")) {
      assertTrue(tmpMount.contains(opt), opt + " in " + tmpMount);
    }
    assertEquals("lo", o.get("interfaces"), "--network none: only lo");
    assertEquals(Long.toString(64L << 20), o.get("memory"));
    String cpu = o.get("cpu");
    assertTrue(cpu.equals("50000 100000") || cpu.equals("50000 100000\n"), "cpu quota: " + cpu);
    assertEquals("present", o.get("image-node"), "the image's block device node is there");
    assertTrue(!o.get("image-node-read").equals("0"), "but it cannot be read (nodev)");
    assertEquals("0", o.get("mknod"), "CAP_MKNOD is in Docker's set");
    assertTrue(!o.get("made-node-read").equals("0"), "but the devices cgroup denies the node");
    assertEquals("1:3", o.get("masked"), "/proc/keys is masked (/dev/null over it)");
    for (String std : List.of("null", "zero", "full", "random", "urandom", "tty", "pts", "shm")) {
      assertTrue((" " + o.get("dev") + " ").contains(" " + std + " "), std + " in " + o.get("dev"));
    }
  }

  @Test
  void aSetuidRootBinaryInTheImageGrantsNothingToANonRootUser() throws IOException {
    // Oracle: on the host, without no_new_privs, the fixture's setuid program does elevate.
    Path tree = tmp.resolve("tree");
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    Processes.Result host =
        Processes.run(
            List.of(
                "setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                tree.resolve(SandboxFixture.SETUID_EUID.substring(1)).toString()));
    Requirements.require(
        host.exitCode() == 0,
        "the setuid oracle needs a suid-capable " + tmp + " (exit " + host.exitCode() + ")");

    Output o =
        run(
            "65534:65534",
            Sandbox.defaults(),
            "id -u | sed 's/^/uid=/'; "
                + SandboxFixture.SETUID_EUID
                + "; echo euid=$?; "
                + SandboxFixture.SETUID_BUSYBOX
                + " id -u | sed 's/^/busybox-euid=/';"
                + " grep -E '^CapEff:' /proc/self/status | tr -d '\\t' | tr : =");
    assertEquals("65534", o.get("uid"));
    assertEquals("254", o.get("euid"), "exit(geteuid()) = 65534 mod 256: no elevation");
    assertEquals("65534", o.get("busybox-euid"));
    assertEquals("0000000000000000", o.get("CapEff"), "a non-root user has no capabilities");
  }
}
