package dev.blocklift.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.blocklift.testing.Requirements;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code blocklift demo} and {@code blocklift flatten} through the real command line. */
class FlattenCommandTest {
  @TempDir Path dir;

  record Run(int exit, String out, String err) {}

  static Run run(String... args) {
    CommandLine cl = BlockliftCommand.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int exit = cl.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void demoThenFlattenWithJsonStats() throws Exception {
    Requirements.commands("e2fsck");
    Run demo = run("demo", "--dir", dir.toString());
    assertEquals(0, demo.exit(), demo.err() + demo.out());
    assertTrue(demo.out().contains("e2fsck -fn rootfs.ext4 exited 0"), demo.out());
    assertTrue(Files.size(dir.resolve("rootfs.ext4")) > 0);

    Path out = dir.resolve("again.ext4");
    Run flatten =
        run("flatten", "oci:" + dir.resolve("oci") + ":latest", "-o", out.toString(), "--json");
    assertEquals(0, flatten.exit(), flatten.err());
    JsonNode stats = new ObjectMapper().readTree(flatten.out());
    assertEquals(5, stats.get("files").asLong());
    assertEquals(3, stats.get("layers").asInt());
    assertTrue(stats.get("bytes").asLong() > 1 << 20);
    assertTrue(stats.has("timeMillis"));
    assertEquals(
        -1L,
        Files.mismatch(out, dir.resolve("rootfs.ext4")),
        "same image, same bytes (deterministic)");
  }

  @Test
  void badImageReferenceIsOneClearLine() {
    Run r = run("flatten", "nonsense:thing", "-o", dir.resolve("x").toString());
    assertEquals(1, r.exit());
    assertTrue(r.err().contains("nonsense:thing"), r.err());
    Run missing = run("flatten", "oci:" + dir.resolve("nope"), "-o", dir.resolve("x").toString());
    assertTrue(missing.exit() != 0, missing.err());
  }

  @Test
  void helpWorks() {
    Run r = run("flatten", "--help");
    assertEquals(0, r.exit());
    assertTrue(r.out().contains("--platform"), r.out());
    assertEquals(0, run("demo", "--help").exit());
  }
}
