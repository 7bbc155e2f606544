package dev.blocklift.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TimeSpanTest {
  @ParameterizedTest(name = "{0} = {1} ms, canonical {2}")
  @CsvSource({
    "500ms, 500, 500ms",
    "1500ms, 1500, 1500ms",
    "1000ms, 1000, 1s",
    "30s, 30000, 30s",
    "90s, 90000, 90s",
    "120s, 120000, 2m",
    "2m, 120000, 2m",
    "1h, 3600000, 1h",
    "24h, 86400000, 1d",
    "1d, 86400000, 1d",
    "7d, 604800000, 7d",
    "0, 0, 0s",
    "0ms, 0, 0s",
    "PT30S, 30000, 30s",
    "pt1m30s, 90000, 90s",
    "PT0.25S, 250, 250ms",
    "P1D, 86400000, 1d",
    "' 30S ', 30000, 30s",
  })
  void parsesAndFormats(String text, long millis, String canonical) {
    TimeSpan t = TimeSpan.parse(text);
    assertEquals(Duration.ofMillis(millis), t.toDuration());
    assertEquals(canonical, t.toString());
    assertEquals(t, TimeSpan.parse(t.toString()), "canonical form parses back");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"", "s", "10", "-5s", "1.5s", "10 parsecs", "5w", "PT-1S", "P", "30sec", "1e3ms"})
  void rejectsAndEchoes(String text) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> TimeSpan.parse(text));
    assertTrue(e.getMessage().contains("\"" + text + "\""), e.getMessage());
  }

  @org.junit.jupiter.api.Test
  void subMillisecondSpansFormatAsIso() {
    TimeSpan t = TimeSpan.of(Duration.ofNanos(1500));
    assertEquals("PT0.0000015S", t.toString());
    assertEquals(t, TimeSpan.parse(t.toString()));
  }

  @org.junit.jupiter.api.Test
  void requirePositiveNamesTheOption() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> TimeSpan.parse("0").requirePositive("--x"));
    assertTrue(e.getMessage().contains("--x") && e.getMessage().contains("\"0s\""));
    assertEquals(TimeSpan.ofSeconds(1), TimeSpan.parse("1s").requirePositive("--x"));
  }
}
