package dev.blocklift.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.chunk.TenantId;
import dev.blocklift.core.ImageName;
import dev.blocklift.core.ImageRef;
import dev.blocklift.core.Platform;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The flattened device is plaintext: it must be readable by its owner only while it exists, gone
 * after every conversion, and what a killed conversion left must not stay (issue: convert left
 * HOME/tmp/convert-*.ext4, mode 0644, after a kill -9, and nothing ever removed it).
 */
class ScratchDevicesTest {
  @TempDir Path dir;

  @Test
  void theDeviceIsOwnerOnlyInAnOwnerOnlyDirectoryAndGoneAfterwards() throws Exception {
    ImageRef ref = TestImages.app(dir.resolve("oci"), 3);
    Path scratch = dir.resolve("home/tmp");
    Files.createDirectories(scratch);
    Files.setPosixFilePermissions(scratch, PosixFilePermissions.fromString("rwxr-xr-x"));
    List<String> seen = new ArrayList<>();
    try (TestHome home = new TestHome(dir.resolve("home"))) {
      ConvertListener look =
          new ConvertListener() {
            @Override
            public void flattened(long bytes) {
              if (seen.isEmpty()) {
                seen.add("flattening " + describe(scratch));
              }
            }

            @Override
            public void chunking(int chunks, long deviceBytes) {
              seen.add("chunking " + describe(scratch));
            }
          };
      home.converter().convert(ref, Platform.LINUX_AMD64, TestHome.options("app:1"), look);
      String pid = Long.toString(ProcessHandle.current().pid());
      assertEquals(2, seen.size(), seen.toString());
      assertTrue(
          seen.get(0)
              .matches(
                  "flattening rwx------ \\[\\.convert-"
                      + pid
                      + "-\\w+\\.ext4\\.blocklift-partial"
                      + " rw-------]"),
          seen.get(0));
      assertTrue(
          seen.get(1).matches("chunking rwx------ \\[convert-" + pid + "-\\w+\\.ext4 rw-------]"),
          seen.get(1));
      assertEquals(List.of(), list(scratch), "nothing left after the conversion");

      // A failed conversion leaves nothing either.
      ImageRef missing = new ImageRef.OciLayout(dir.resolve("oci"), Optional.of("nope"));
      try {
        home.converter()
            .convert(
                missing, Platform.LINUX_AMD64, TestHome.options("app:2"), ConvertListener.NONE);
      } catch (Exception expected) {
        // no such tag
      }
      assertEquals(List.of(), list(scratch));
    }
  }

  @Test
  void leftoversOfGoneProcessesAreRemovedByTheNextConvertAndByGcButLiveOnesStay() throws Exception {
    long dead = deadPid();
    Process live = new ProcessBuilder("sleep", "300").start();
    try (TestHome home = new TestHome(dir.resolve("home"))) {
      Path scratch = dir.resolve("home/tmp");
      Path staging = dir.resolve("home/store/chunks/.staging");
      Files.createDirectories(scratch);
      List<Path> gone = leftovers(scratch, staging, dead);
      Path legacyOld = Files.write(scratch.resolve("convert-3k2j1h.ext4"), new byte[] {1});
      Files.setLastModifiedTime(legacyOld, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
      List<Path> kept =
          List.of(
              Files.write(scratch.resolve("convert-" + live.pid() + "-abc.ext4"), new byte[] {1}),
              Files.write(
                  scratch.resolve(".convert-" + live.pid() + "-abc.ext4.blocklift-partial"),
                  new byte[] {1}),
              Files.write(staging.resolve(".tmp-" + live.pid() + "-x"), new byte[] {1}),
              Files.write(scratch.resolve("convert-9z8y7x.ext4"), new byte[] {1}),
              Files.write(scratch.resolve("unrelated.txt"), new byte[] {1}));

      home.convert(TestHome.device(dir.resolve("d.img"), 9, 1), "next:1");
      for (Path p : gone) {
        assertFalse(Files.exists(p), p + " removed by the next convert");
      }
      assertFalse(Files.exists(legacyOld), "an hour-old device of an older version too");
      for (Path p : kept) {
        assertTrue(Files.exists(p), p + " kept: its writer is alive (or it is recent)");
      }

      gone = leftovers(scratch, staging, dead);
      GcResult r =
          new GarbageCollector(
                  home.store, Clock.systemUTC(), home.secret.manifestMac(), Optional.of(scratch))
              .collect(Duration.ofHours(24), false);
      assertEquals(gone.size(), r.leftoversRemoved(), r.toString());
      for (Path p : gone) {
        assertFalse(Files.exists(p), p + " removed by gc");
      }
      for (Path p : kept) {
        assertTrue(Files.exists(p), p + " kept by gc");
      }
      assertTrue(home.verifier().verify(ImageName.parse("next:1"), TenantId.DEFAULT, k -> {}).ok());
    } finally {
      live.destroyForcibly();
      live.waitFor();
    }
  }

  @Test
  void aConversionKilledWithSigkillLeavesADeviceTheNextConversionRemoves() throws Exception {
    Path layout = dir.resolve("oci");
    TestImages.app(layout, 5);
    Path homeDir = dir.resolve("home");
    Files.createDirectories(homeDir);
    new TestHome(homeDir).close(); // keyring, secret, roots created before the child starts
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path")));
    cmd.addAll(
        List.of(
            SlowImageConvertMain.class.getName(),
            homeDir.toString(),
            layout.toString(),
            "app",
            "app:1",
            "300"));
    Process child =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("child.log").toFile())
            .start();
    Path scratch = homeDir.resolve("tmp");
    String device = "convert-" + child.pid() + "-";
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline
        && child.isAlive()
        && list(scratch).stream().noneMatch(n -> n.startsWith(device))) {
      Thread.sleep(20);
    }
    assertTrue(child.isAlive(), "still converting: " + Files.readString(dir.resolve("child.log")));
    child.destroyForcibly(); // SIGKILL: no shutdown hook runs
    assertTrue(child.waitFor(30, TimeUnit.SECONDS));
    List<String> left = list(scratch);
    assertEquals(1, left.size(), left.toString());
    assertTrue(left.get(0).startsWith(device), left.toString());
    assertEquals(
        "rw-------",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(scratch.resolve(left.get(0)))));

    try (TestHome home = new TestHome(homeDir)) {
      assertTrue(home.store.manifests().list().isEmpty(), "no manifest from a killed conversion");
      home.converter()
          .convert(
              new ImageRef.OciLayout(layout, Optional.of("app")),
              Platform.LINUX_AMD64,
              TestHome.options("app:1"),
              ConvertListener.NONE);
      assertEquals(List.of(), list(scratch), "the killed conversion's device is gone");
      assertTrue(home.verifier().verify(ImageName.parse("app:1"), TenantId.DEFAULT, k -> {}).ok());
    }
  }

  /** Leftovers of process {@code pid}: two devices in the scratch directory, one staged chunk. */
  private static List<Path> leftovers(Path scratch, Path staging, long pid) throws IOException {
    return List.of(
        Files.write(scratch.resolve("convert-" + pid + "-a1.ext4"), new byte[] {1}),
        Files.write(scratch.resolve(".convert-" + pid + "-b2.ext4.blocklift-partial"), new byte[1]),
        Files.write(staging.resolve(".tmp-" + pid + "-c3"), new byte[] {1}));
  }

  /** The pid of a process that has exited. */
  private static long deadPid() throws Exception {
    Process p = new ProcessBuilder("true").start();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    return p.pid();
  }

  private static List<String> list(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** {@code MODE [NAME MODE, ...]} of a directory and its files. */
  private static String describe(Path dir) {
    try {
      List<String> files = new ArrayList<>();
      for (String n : list(dir)) {
        files.add(
            n + " " + PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(n))));
      }
      return PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)) + " " + files;
    } catch (IOException e) {
      return e.toString();
    }
  }
}
