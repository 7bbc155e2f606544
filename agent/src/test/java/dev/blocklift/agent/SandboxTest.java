package dev.blocklift.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.blocklift.agent.ContainerRun.Sandbox;
import dev.blocklift.core.ByteSize;
import dev.blocklift.image.ImageConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Sandbox} validation and what {@link OciBundle} writes for it (no root needed). */
class SandboxTest {
  @TempDir Path tmp;

  @Test
  void badValuesAreRefusedWithTheValueInTheMessage() {
    assertMessage("got 1024 bytes", () -> sandbox(ByteSize.ofKiB(1), Optional.empty(), 1.0));
    assertMessage(
        "got 1048576 bytes",
        () -> sandbox(Sandbox.DEFAULT_SCRATCH, Optional.of(ByteSize.ofMiB(1)), 1.0));
    assertMessage("got 0.001", () -> sandbox(Sandbox.DEFAULT_SCRATCH, Optional.empty(), 0.001));
    assertMessage("got 100000.0", () -> sandbox(Sandbox.DEFAULT_SCRATCH, Optional.empty(), 1e5));
    assertMessage("\"tmp\"", () -> Sandbox.TmpfsMount.parse("tmp"));
    assertMessage("\"/a/../b\"", () -> Sandbox.TmpfsMount.parse("/a/../b"));
    assertMessage("/proc", () -> Sandbox.TmpfsMount.parse("/proc/x"));
    assertMessage("\"/\"", () -> Sandbox.TmpfsMount.parse("/"));
    assertMessage("\"/tmp:lots\"", () -> Sandbox.TmpfsMount.parse("/tmp:lots"));
    assertMessage("\"bridge\"", () -> Sandbox.Network.parse("bridge"));
    assertMessage(
        "/tmp is given twice",
        () ->
            new Sandbox(
                Sandbox.DEFAULT_SCRATCH,
                List.of(Sandbox.TmpfsMount.parse("/tmp"), Sandbox.TmpfsMount.parse("/tmp:1MiB")),
                Optional.empty(),
                Optional.empty(),
                Sandbox.Network.HOST));
    assertEquals(
        new Sandbox.TmpfsMount("/tmp", Optional.of(ByteSize.ofMiB(64))),
        Sandbox.TmpfsMount.parse("/tmp:64MiB"));
  }

  @Test
  void theBundleHasDockersDefaultsAndTheSandboxsLimits() throws IOException {
    Sandbox s =
        new Sandbox(
            ByteSize.ofMiB(8),
            List.of(Sandbox.TmpfsMount.parse("/tmp:4MiB")),
            Optional.of(ByteSize.ofMiB(64)),
            Optional.of(0.5),
            Sandbox.Network.NONE);
    JsonNode c = write(s);
    assertEquals(
        List.of(
            "CAP_AUDIT_WRITE",
            "CAP_CHOWN",
            "CAP_DAC_OVERRIDE",
            "CAP_FOWNER",
            "CAP_FSETID",
            "CAP_KILL",
            "CAP_MKNOD",
            "CAP_NET_BIND_SERVICE",
            "CAP_NET_RAW",
            "CAP_SETFCAP",
            "CAP_SETGID",
            "CAP_SETPCAP",
            "CAP_SETUID",
            "CAP_SYS_CHROOT"),
        strings(c.at("/process/capabilities/bounding")).stream().sorted().toList());
    assertTrue(c.at("/process/capabilities/inheritable").isMissingNode());
    assertTrue(c.at("/process/noNewPrivileges").asBoolean());
    assertTrue(strings(c.at("/linux/namespaces")).isEmpty()); // objects, not strings
    assertTrue(c.at("/linux/namespaces").toString().contains("\"network\""));
    assertEquals(64L << 20, c.at("/linux/resources/memory/limit").asLong());
    assertEquals(50_000, c.at("/linux/resources/cpu/quota").asLong());
    assertEquals(100_000, c.at("/linux/resources/cpu/period").asLong());
    assertEquals(false, c.at("/linux/resources/devices/0/allow").asBoolean(true));
    assertTrue(strings(c.at("/linux/maskedPaths")).containsAll(OciBundle.MASKED_PATHS));
    assertEquals(OciBundle.READONLY_PATHS, strings(c.at("/linux/readonlyPaths")));
    JsonNode tmpMount = null;
    for (JsonNode m : c.at("/mounts")) {
      if (m.get("destination").asText().equals("/tmp")) {
        tmpMount = m;
      }
    }
    assertTrue(tmpMount != null, "a /tmp mount");
    assertEquals(
        List.of("nosuid", "nodev", "mode=1777", "size=4194304"), strings(tmpMount.get("options")));

    JsonNode host =
        write(
            new Sandbox(
                Sandbox.DEFAULT_SCRATCH,
                List.of(),
                Optional.empty(),
                Optional.empty(),
                Sandbox.Network.HOST));
    assertTrue(!host.at("/linux/namespaces").toString().contains("\"network\""));
    assertTrue(host.at("/linux/resources/memory").isMissingNode());
  }

  private JsonNode write(Sandbox s) throws IOException {
    ImageConfig config =
        new ImageConfig(
            List.of(),
            List.of("sh"),
            List.of(),
            "/",
            "",
            0,
            "amd64",
            "linux",
            Optional.empty(),
            new TreeMap<>());
    Path bundle = tmp.resolve("b" + System.nanoTime());
    return new ObjectMapper()
        .readTree(
            OciBundle.write(bundle, config, List.of(), new OciBundle.User(0, 0), "h", s).toFile());
  }

  private static List<String> strings(JsonNode array) {
    List<String> l = new ArrayList<>();
    array.forEach(
        n -> {
          if (n.isTextual()) {
            l.add(n.asText());
          }
        });
    return l;
  }

  private static Sandbox sandbox(ByteSize scratch, Optional<ByteSize> memory, double cpus) {
    return new Sandbox(scratch, List.of(), memory, Optional.of(cpus), Sandbox.Network.NONE);
  }

  private static void assertMessage(String part, org.junit.jupiter.api.function.Executable e) {
    IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
    assertTrue(x.getMessage().contains(part), x.getMessage());
  }
}
