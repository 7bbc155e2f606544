package dev.blocklift.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.chunk.TenantId;
import dev.blocklift.core.ImageName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 in the middle of a conversion, then run it again: the re-run completes, uploads only what
 * is missing, and no manifest is visible before it completes.
 */
class KillAndRerunTest {
  @TempDir Path dir;

  @Test
  void aKilledConversionLeavesNoManifestAndTheRerunUploadsOnlyWhatIsMissing() throws Exception {
    Path device = TestHome.device(dir.resolve("dev.img"), 90, 11); // 59 distinct data chunks
    Path homeDir = dir.resolve("home");
    Files.createDirectories(homeDir);
    new TestHome(homeDir).close(); // keyring, secret, roots created before the child starts
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path")));
    cmd.addAll(
        List.of(
            SlowConvertMain.class.getName(),
            homeDir.toString(),
            device.toString(),
            "killed:1",
            "100"));
    Process child =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("child.log").toFile())
            .start();
    Path chunks = homeDir.resolve("store/chunks");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    long stored = 0;
    while (System.nanoTime() < deadline && child.isAlive()) {
      stored = countChunks(chunks);
      if (stored >= 10) {
        break;
      }
      Thread.sleep(20);
    }
    assertTrue(
        child.isAlive(),
        "the child was still converting: " + Files.readString(dir.resolve("child.log")));
    child.destroyForcibly(); // SIGKILL
    assertTrue(child.waitFor(30, TimeUnit.SECONDS));
    long before = countChunks(chunks);
    assertTrue(before >= 10 && before < 59, "killed half-way, with " + before + " chunks stored");

    try (TestHome home = new TestHome(homeDir)) {
      assertTrue(home.store.manifests().list().isEmpty(), "no manifest from a killed conversion");
      ConvertResult r = home.convert(device, "killed:1");
      assertEquals(59 - before, r.stats().newChunks(), "the re-run uploads only what is missing");
      assertEquals(before, r.stats().presentChunks());
      assertTrue(
          home.verifier().verify(ImageName.parse("killed:1"), TenantId.DEFAULT, k -> {}).ok());
    }
  }

  private static long countChunks(Path chunks) throws Exception {
    if (!Files.isDirectory(chunks)) {
      return 0;
    }
    try (Stream<Path> s = Files.walk(chunks)) {
      return s.filter(p -> p.getFileName().toString().length() == 64).count();
    }
  }
}
