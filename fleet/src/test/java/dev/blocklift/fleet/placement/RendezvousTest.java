package dev.blocklift.fleet.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.ChunkName;
import dev.blocklift.core.Hex;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RendezvousTest {
  static List<NodeAddress> nodes(int count) {
    List<NodeAddress> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(new NodeAddress("10.0.0." + (i + 1), 7070));
    }
    return out;
  }

  static List<ChunkName> chunks(long seed, int count) {
    SplittableRandom r = new SplittableRandom(seed);
    List<ChunkName> out = new ArrayList<>();
    byte[] b = new byte[32];
    for (int i = 0; i < count; i++) {
      r.nextBytes(b);
      out.add(ChunkName.of(Hex.encode(b)));
    }
    return out;
  }

  @ParameterizedTest(name = "{0} nodes")
  @CsvSource({"5", "7", "20"})
  void placesOnDistinctNodesDeterministicallyAndEvenly(int count) {
    Rendezvous rv = new Rendezvous(nodes(count));
    Rendezvous again = new Rendezvous(nodes(count));
    Map<NodeAddress, Integer> load = new HashMap<>();
    List<ChunkName> cs = chunks(count, 20_000);
    for (ChunkName c : cs) {
      List<NodeAddress> p = rv.place(c, 5);
      assertEquals(5, new HashSet<>(p).size(), "not distinct for " + c);
      assertEquals(p, again.place(c, 5));
      for (NodeAddress n : p) {
        load.merge(n, 1, Integer::sum);
      }
    }
    double expected = 20_000.0 * 5 / count;
    for (var e : load.entrySet()) {
      assertTrue(
          Math.abs(e.getValue() - expected) < expected * 0.06,
          e.getKey() + " holds " + e.getValue() + " shards, expected ~" + expected);
    }
  }

  /**
   * Adding a node moves about 1/(N+1) of all shard placements (its share) and removing one moves
   * about 1/N. Keeping shard indexes stable costs a short cascade (a displaced node can take a slot
   * another node lost), so the measured fraction is allowed 45% above the ideal (measured: +36% for
   * 5 -> 6 nodes, +27% for 6 -> 7, +5% for 20 -> 19); it is near the ideal for large fleets (see
   * docs/fleet.md for the measured table).
   */
  @ParameterizedTest(name = "{0} -> {1} nodes")
  @CsvSource({"6,7", "7,6", "20,19", "5,6"})
  void membershipChangeMovesOnlyAboutItsShare(int before, int after) {
    List<NodeAddress> all = nodes(Math.max(before, after));
    Rendezvous a = new Rendezvous(all.subList(0, before));
    Rendezvous b = new Rendezvous(all.subList(0, after));
    int moved = 0;
    int total = 0;
    int movedOntoOldNodes = 0;
    NodeAddress changed = all.get(Math.max(before, after) - 1);
    for (ChunkName c : chunks(before * 31L + after, 10_000)) {
      List<NodeAddress> pa = a.place(c, 5);
      List<NodeAddress> pb = b.place(c, 5);
      for (int i = 0; i < 5; i++) {
        total++;
        if (!pa.get(i).equals(pb.get(i))) {
          moved++;
          if (!pb.get(i).equals(changed) && !pa.get(i).equals(changed)) {
            movedOntoOldNodes++;
          }
        }
      }
    }
    double ideal = 1.0 / Math.max(before, after);
    double frac = (double) moved / total;
    System.out.printf(
        java.util.Locale.ROOT,
        "rendezvous %d -> %d nodes: moved %.4f of shard placements (ideal %.4f), "
            + "%.4f between surviving nodes%n",
        before,
        after,
        frac,
        ideal,
        (double) movedOntoOldNodes / total);
    assertTrue(frac < ideal * 1.45, "moved " + frac + " of placements, ideal " + ideal + " (+45%)");
    assertTrue(
        (double) movedOntoOldNodes / total < ideal * 0.4,
        "too much movement between surviving nodes: " + movedOntoOldNodes + " of " + total);
  }

  @org.junit.jupiter.api.Test
  void tooFewNodesIsAClearError() {
    Rendezvous rv = new Rendezvous(nodes(3));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> rv.place(chunks(1, 1).get(0), 5));
    assertTrue(e.getMessage().contains("3"), e.getMessage());
  }
}
