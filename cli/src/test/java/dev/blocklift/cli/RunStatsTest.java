package dev.blocklift.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class RunStatsTest {
  @Test
  void phaseTimesCountFromTheLauncherWhenItSaysWhenItStarted() {
    Instant now = Instant.ofEpochSecond(1_795_464_259L, 500_000_000L);
    assertEquals(0.329_189, RunStats.secondsSinceStart("1795464259.170811", now), 1e-9);
    assertEquals(0.5, RunStats.secondsSinceStart("1795464259", now), 1e-9);
    assertEquals(0.5, RunStats.secondsSinceStart("1795464259,0", now), 1e-9);
  }

  @Test
  void withoutAUsableLauncherTimeTheJvmUptimeIsUsed() {
    Instant now = Instant.ofEpochSecond(1_795_464_259L);
    for (String bad : new String[] {null, "", "soon", "1795464260.5", "1.2.3", "-5"}) {
      double s = RunStats.secondsSinceStart(bad, now);
      assertTrue(s >= 0 && s < 600, bad + " gave " + s);
    }
  }
}
