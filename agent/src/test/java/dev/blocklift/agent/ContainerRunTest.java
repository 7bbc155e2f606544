package dev.blocklift.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.image.ImageConfig;
import dev.blocklift.store.FakeChunkSource;
import dev.blocklift.testing.Requirements;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code runc run} of a busybox image whose rootfs is the lazy FUSE → loop → ext4 mount. */
class ContainerRunTest {
  @TempDir Path tmp;

  @Test
  void runsBusyboxPrintsAndReturnsTheExitCode() throws Exception {
    Requirements.root();
    Requirements.fuse();
    Requirements.loopDevices();
    Requirements.commands("runc", "mkfs.ext4");
    byte[] img = Files.readAllBytes(Ext4Fixture.busyboxImage(tmp, 4));
    FakeChunkSource src = new FakeChunkSource();
    TestChunks map = new TestChunks("busybox", img, FuseDeviceTest.CHUNK, new byte[32], src);
    java.util.Map<dev.blocklift.core.ChunkName, byte[]> before = new java.util.HashMap<>();
    src.chunks().forEach((k, v) -> before.put(k, v.clone()));
    ImageConfig config =
        new ImageConfig(
            List.of(),
            List.of("sh", "-c", "echo default"),
            List.of("GREETING=hello from the image"),
            "/tmp",
            "",
            0,
            "amd64",
            "linux",
            Optional.empty(),
            new TreeMap<>());
    Path work = tmp.resolve("run");
    Path out = tmp.resolve("stdout.txt");
    int exit;
    try (ChunkFetcher f = new ChunkFetcher(src, Duration.ofSeconds(10));
        ContainerRun run =
            ContainerRun.prepare(
                work,
                "blocklift-test-" + ProcessHandle.current().pid(),
                // Plaintext for the whole device: the loop's direct I/O bypasses any page cache
                // of the FUSE file, and the test checks that no chunk is fetched twice.
                new LazyDevice(map, f, map.chunkCount()),
                config,
                List.of(
                    "sh",
                    "-c",
                    "echo \"$GREETING\"; pwd; id -u; echo scribble > /tmp/new-file;"
                        + " cat /tmp/new-file; sync; exit 42"))) {
      exit = run.run(ProcessBuilder.Redirect.to(out.toFile()), ProcessBuilder.Redirect.INHERIT);
      // The container's write went to the scratch's upper layer; the image is mounted read-only.
      assertTrue(f.metrics().fetches() <= map.storedNames().size());
      assertFalse(run.mount().device().writable(), "the image's device is read-only");
      assertEquals(
          "scribble\n", Files.readString(run.upperDir().resolve("tmp/new-file")), "on the scratch");
    }
    assertEquals(42, exit);
    assertEquals(
        "hello from the image\n/tmp\n0\nscribble\n", Files.readString(out, StandardCharsets.UTF_8));
    assertFalse(Files.exists(work), "the run's work directory is gone");
    before.forEach(
        (k, v) -> org.junit.jupiter.api.Assertions.assertArrayEquals(v, src.chunks().get(k)));
  }
}
