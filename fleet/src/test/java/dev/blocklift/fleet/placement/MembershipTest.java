package dev.blocklift.fleet.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.BlockliftException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MembershipTest {
  @Test
  void parsesCommentsAndBlankLines() {
    var nodes = Membership.parse("# fleet\n10.0.0.1:7070\n\n  10.0.0.2:7071  # b\n", "x");
    assertEquals(2, nodes.size());
    assertEquals(new NodeAddress("10.0.0.2", 7071), nodes.get(1));
  }

  @Test
  void badLinesNameTheLine() {
    BlockliftException e =
        assertThrows(BlockliftException.class, () -> Membership.parse("a:1\nb:notaport\n", "f"));
    assertTrue(e.getMessage().contains("line 2"), e.getMessage());
    assertThrows(BlockliftException.class, () -> Membership.parse("# nothing\n", "f"));
    assertThrows(IllegalArgumentException.class, () -> NodeAddress.parse("host:70000"));
    assertThrows(IllegalArgumentException.class, () -> NodeAddress.parse("noport"));
  }

  @Test
  void reloadSwapsOnlyOnAValidChange(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("fleet.txt");
    Files.writeString(f, "127.0.0.1:1\n127.0.0.1:2\n");
    try (Membership m = Membership.load(f)) {
      assertEquals(2, m.current().size());
      assertFalse(m.reload());
      Files.writeString(f, "127.0.0.1:1\n127.0.0.1:2\n127.0.0.1:3\n");
      assertTrue(m.reload());
      assertEquals(3, m.current().size());
      Files.writeString(f, "garbage line\n");
      assertFalse(m.reload());
      assertEquals(3, m.current().size(), "a broken file keeps the last good membership");
      assertNotNull(m.lastError());
      ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor();
      try {
        m.watch(s, Duration.ofMillis(20));
        Files.writeString(f, "127.0.0.1:9\n");
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (m.current().size() != 1 && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
        assertEquals(1, m.current().size(), "the poll picks up the change");
      } finally {
        s.shutdownNow();
      }
    }
  }
}
