package dev.blocklift.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatsCommandTest {
  @TempDir Path tmp;

  @Test
  void noWorkerIsAClearOneLineError() {
    StringWriter err = new StringWriter();
    var cl = BlockliftCommand.commandLine();
    cl.setErr(new PrintWriter(err));
    Path sock = tmp.resolve("none.sock");
    assertEquals(1, cl.execute("stats", "--worker", sock.toString()));
    assertTrue(err.toString().startsWith("blocklift: no worker at " + sock), err.toString());
    assertEquals(1, err.toString().strip().lines().count(), err.toString());
  }
}
