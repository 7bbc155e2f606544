package dev.blocklift.fleet.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MembershipFileTest {
  @TempDir Path dir;
  final AtomicLong now = new AtomicLong();

  MembershipFile watch(Path f) {
    return new MembershipFile(f, TimeUnit.SECONDS.toNanos(1), now::get);
  }

  void tick() {
    now.addAndGet(TimeUnit.SECONDS.toNanos(1));
  }

  @Test
  void missingThenAppearingThenEmptiedThenBroken() throws Exception {
    Path f = dir.resolve("fleet.txt");
    MembershipFile m = watch(f);
    assertEquals(0, m.get().size(), "missing file: no L2");

    Files.writeString(f, "# nodes\n\n127.0.0.1:7001\n127.0.0.1:7002 # b\n");
    assertEquals(0, m.get().size(), "not re-checked within the interval");
    tick();
    assertEquals(2, m.get().size(), "the file appearing turns the fleet on");

    Files.writeString(f, "# nothing left\n\n");
    tick();
    assertEquals(0, m.get().size(), "an empty file: no L2");

    Files.writeString(f, "127.0.0.1:7001\n127.0.0.1:7002\n127.0.0.1:7003\n");
    tick();
    assertEquals(3, m.get().size());
    Files.writeString(f, "127.0.0.1:7001\nnot-an-address\n");
    tick();
    assertEquals(3, m.get().size(), "a broken file keeps the last good membership");
    assertNotNull(m.lastError());

    Files.delete(f);
    tick();
    assertEquals(0, m.get().size());
    assertNull(m.lastError());
  }
}
