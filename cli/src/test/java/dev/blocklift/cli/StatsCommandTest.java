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
}
