package dev.blocklift.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.BitSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

class SequentialReadaheadTest {

  @Test
  void aZeroWindowNeverReadsAhead() {
    SequentialReadahead r = new SequentialReadahead(0);
    for (int i = 0; i < 100; i++) {
      assertTrue(r.touched(i, i).isEmpty());
    }
  }

  @Test
  void aNegativeWindowIsRefusedWithItsValue() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new SequentialReadahead(-3));
    assertTrue(e.getMessage().contains("-3"), e.getMessage());
  }

  @Test
  void aSequentialWalkStartsAfterTheStreakAndStaysAhead() {
    SequentialReadahead r = new SequentialReadahead(4);
    BitSet asked = new BitSet();
    for (int i = 0; i < 200; i++) {
      // Several reads per chunk, as small reads of a sequential reader come.
      for (int k = 0; k < 3; k++) {
        SequentialReadahead.Range got = r.touched(i, i);
        if (i < SequentialReadahead.STREAK) {
          assertTrue(got.isEmpty(), "no readahead before the streak, at chunk " + i);
        }
        for (int c = got.from(); c < got.to(); c++) {
          assertTrue(c > i, "chunk " + c + " asked while reading " + i + " is not ahead");
          assertTrue(c <= i + 4, "chunk " + c + " asked while reading " + i + " beyond window");
          assertFalse(asked.get(c), "chunk " + c + " asked twice");
          asked.set(c);
        }
      }
      if (i >= SequentialReadahead.STREAK) {
        assertTrue(asked.get(i + 1), "chunk " + (i + 1) + " not asked while reading " + i);
      }
    }
  }

  @Test
  void slightlyReorderedRequestsKeepTheStreak() {
    SequentialReadahead r = new SequentialReadahead(2);
    int[] order = {0, 1, 0, 2, 1, 3, 2, 4};
    boolean any = false;
    for (int c : order) {
      any |= !r.touched(c, c).isEmpty();
    }
    assertTrue(any, "reordered sequential requests should read ahead");
  }

  @Test
  void aReadSpanningChunksCountsEveryCrossing() {
    SequentialReadahead r = new SequentialReadahead(2);
    assertTrue(r.touched(0, 0).isEmpty());
    SequentialReadahead.Range got = r.touched(0, 2); // one large read across two boundaries
    assertEquals(new SequentialReadahead.Range(3, 5), got);
  }

  @RepeatedTest(5)
  void randomJumpsNeverReadAhead(RepetitionInfo info) {
    long seed = 500L + info.getCurrentRepetition();
    SplittableRandom rnd = new SplittableRandom(seed);
    SequentialReadahead r = new SequentialReadahead(4);
    int last = 1000;
    for (int i = 0; i < 2000; i++) {
      int c;
      do {
        c = rnd.nextInt(5000);
      } while (Math.abs(c - last) < 2);
      last = c;
      assertTrue(r.touched(c, c).isEmpty(), "seed " + seed + ": readahead after jump to " + c);
    }
  }
}
