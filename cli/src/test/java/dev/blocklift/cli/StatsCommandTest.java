package dev.blocklift.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class StatsCommandTest {
  @Test
  void noAgentIsAClearOneLineError() {
    StringWriter err = new StringWriter();
    var cl = BlockliftCommand.commandLine();
    cl.setErr(new PrintWriter(err));
    assertEquals(1, cl.execute("stats", "--agent", "http://127.0.0.1:1"));
    assertTrue(
        err.toString().startsWith("blocklift: no agent at http://127.0.0.1:1"), err.toString());
  }

  @Test
  void badDurationsAndSizesEchoTheValue() {
    IllegalArgumentException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> RunCommand.parseDuration("10 parsecs"));
    assertTrue(e.getMessage().contains("\"10 parsecs\""), e.getMessage());
    assertEquals(java.time.Duration.ofMillis(250), RunCommand.parseDuration("250ms"));
    assertEquals(java.time.Duration.ofSeconds(30), RunCommand.parseDuration("PT30S"));
  }
}
