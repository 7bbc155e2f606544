package dev.blocklift.chunk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.CorruptDataException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SaltRootsTest {
  @TempDir Path dir;

  /** A clock the test moves by hand. */
  static final class ManualClock extends Clock {
    Instant now = Instant.parse("2026-03-01T00:00:00Z");

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }
  }

  @Test
  void lifecycleActiveRetiredExpired() {
    ManualClock clock = new ManualClock();
    Path file = dir.resolve("home/salt-roots.json");
    SaltRoots roots = new SaltRoots(file, clock);
    assertEquals(List.of(), roots.list());

    SaltRoot r1 = roots.active();
    assertEquals("root-1", r1.id());
    assertEquals(SaltRoot.State.ACTIVE, r1.state());
    assertEquals(clock.now, r1.created());
    assertEquals(r1, roots.active(), "active() is stable");

    clock.advance(Duration.ofDays(10));
    SaltRoot r2 = roots.rotate();
    assertEquals("root-2", r2.id());
    SaltRoot retired = roots.find("root-1").orElseThrow();
    assertEquals(SaltRoot.State.RETIRED, retired.state());
    assertEquals(Optional.of(clock.now), retired.retired());

    clock.advance(Duration.ofDays(3));
    assertEquals(List.of(), roots.expireRetired(Duration.ofDays(7)), "still in its grace period");
    clock.advance(Duration.ofDays(4));
    List<SaltRoot> expired = roots.expireRetired(Duration.ofDays(7));
    assertEquals(1, expired.size());
    assertEquals(SaltRoot.State.EXPIRED, expired.getFirst().state());
    assertEquals(Optional.of(clock.now), expired.getFirst().expired());

    // persisted: a second handle (another process) sees the same state
    SaltRoots reopened = new SaltRoots(file, clock);
    assertEquals(roots.list(), reopened.list());
    assertEquals("root-2", reopened.active().id());
    assertEquals("root-3", reopened.rotate().id(), "ids are never reused");
  }

  @Test
  void readingUnderAnExpiredRootIsNeverSilent() {
    ManualClock clock = new ManualClock();
    Path file = dir.resolve("salt-roots.json");
    SaltRoots roots = new SaltRoots(file, clock);
    roots.active();
    roots.rotate();
    assertEquals("root-1", roots.checkReadable("root-1", "manifest a:1").id(), "retired: fine");
    assertThrows(BlockliftException.class, () -> roots.expire("root-2"), "active root");
    roots.expire("root-1");

    ExpiredSaltRootException e =
        assertThrows(
            ExpiredSaltRootException.class, () -> roots.checkReadable("root-1", "manifest a:1"));
    assertTrue(e.getMessage().startsWith("ALARM") && e.getMessage().contains("manifest a:1"));

    List<String> alarms = new ArrayList<>();
    SaltRoots reporting =
        new SaltRoots(file, clock, (root, what) -> alarms.add(root.id() + " " + what));
    reporting.checkReadable("root-1", "chunk 3 of b:2");
    assertEquals(List.of("root-1 chunk 3 of b:2"), alarms);
    reporting.checkReadable("root-2", "chunk 4 of b:2");
    assertEquals(1, alarms.size(), "active roots raise no alarm");

    BlockliftException unknown =
        assertThrows(BlockliftException.class, () -> roots.checkReadable("root-9", "manifest c"));
    assertTrue(unknown.getMessage().contains("root-9"));
  }

  @Test
  void aCorruptFileNamesTheProblem() throws Exception {
    Path file = dir.resolve("salt-roots.json");
    Files.writeString(file, "{\"format\":\"something-else\"}", StandardCharsets.UTF_8);
    CorruptDataException e =
        assertThrows(
            CorruptDataException.class, () -> new SaltRoots(file, Clock.systemUTC()).list());
    assertTrue(e.getMessage().contains("format"), e.getMessage());
    Files.writeString(
        file,
        "{\"format\":\"blocklift-salt-roots\",\"version\":1,\"nextSequence\":3,\"roots\":["
            + "{\"id\":\"root-1\",\"state\":\"active\",\"created\":\"2026-01-01T00:00:00Z\"},"
            + "{\"id\":\"root-2\",\"state\":\"active\",\"created\":\"2026-01-01T00:00:00Z\"}]}",
        StandardCharsets.UTF_8);
    e =
        assertThrows(
            CorruptDataException.class, () -> new SaltRoots(file, Clock.systemUTC()).list());
    assertTrue(e.getMessage().contains("2 active"), e.getMessage());
  }
}
