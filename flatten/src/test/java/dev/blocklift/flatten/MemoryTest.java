package dev.blocklift.flatten;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.testing.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A 10 GiB image (50,000 small files too) flattens in a JVM limited to -Xmx512m. */
class MemoryTest {
  @TempDir Path dir;

  @Test
  void tenGibUnderHalfAGigOfHeap() throws Exception {
    Path out = dir.resolve("ten.ext4");
    Processes.Result r =
        DeterminismTest.runJvm(List.of("-Xmx512m", "-XX:+UseSerialGC"), "ten-gib", out.toString());
    System.out.println("10 GiB flatten under -Xmx512m: " + r.stdout().trim());
    assertTrue(r.stdout().contains("bytes=" + (10L * 1024 * 1024 * 1024 + 100L * 50_000)));
    assertTrue(Files.size(out) >= 10L << 30);
    long t = System.nanoTime();
    Ext4Tools.fsck(out);
    System.out.println(
        "e2fsck -fn of the 16 GiB image: " + (System.nanoTime() - t) / 1_000_000 + " ms");
  }
}
