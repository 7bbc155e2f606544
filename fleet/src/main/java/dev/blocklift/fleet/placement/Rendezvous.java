package dev.blocklift.fleet.placement;

import dev.blocklift.core.ChunkName;
import dev.blocklift.core.Sha256;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * Rendezvous (highest-random-weight) placement of a chunk's {@code n} shards onto {@code n}
 * distinct nodes.
 *
 * <p>Every (chunk, shard slot, node) triple gets a pseudo-random weight; slots and nodes are then
 * paired greedily from the highest weight down (each slot and each node used once). Because the
 * weights depend only on the triple, adding a node changes a slot only where the new node's weight
 * wins, and removing a node only re-places the slots it held; the slot → node pairing is what a
 * shard index is stored under, so it must be stable, not just the set of nodes. A displaced node
 * can occasionally win a slot it had lost to the node that left (a short cascade), which the tests
 * measure: the moved share stays close to {@code 1/N}.
 *
 * <p>Immutable and thread-safe; the node list is the membership at one moment.
 */
public final class Rendezvous {
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;
  private final NodeAddress[] nodes;
  private final long[] nodeHashes;

  public Rendezvous(Collection<NodeAddress> members) {
    this.nodes = members.stream().distinct().sorted().toArray(NodeAddress[]::new);
    this.nodeHashes = new long[nodes.length];
    for (int i = 0; i < nodes.length; i++) {
      byte[] h = Sha256.hash(nodes[i].toString().getBytes(StandardCharsets.UTF_8));
      nodeHashes[i] = ByteBuffer.wrap(h).getLong();
    }
  }

  public List<NodeAddress> nodes() {
    return List.of(nodes);
  }

  public int size() {
    return nodes.length;
  }

  /**
   * The node for each of the {@code n} shard slots of {@code chunk}: element {@code i} holds shard
   * {@code i}.
   *
   * @throws IllegalArgumentException if there are fewer than {@code n} nodes
   */
  public List<NodeAddress> place(ChunkName chunk, int n) {
    if (n > nodes.length || n < 1) {
      throw new IllegalArgumentException(
          "cannot place " + n + " shards on " + nodes.length + " distinct cache nodes");
    }
    long c = ByteBuffer.wrap(chunk.bytes()).getLong();
    int total = n * nodes.length;
    long[] keys = new long[total];
    // Sort (weight, slot, node) triples by weight: the top bits hold the weight, the low 16 bits
    // the pair index, so a plain long sort does it without boxing.
    for (int s = 0; s < n; s++) {
      long slotSeed = mix(c + (s + 1) * GOLDEN);
      for (int j = 0; j < nodes.length; j++) {
        long w = mix(slotSeed ^ nodeHashes[j]) >>> 1; // non-negative
        keys[s * nodes.length + j] = (w & ~0xFFFFL) | (s * nodes.length + j);
      }
    }
    Arrays.sort(keys);
    NodeAddress[] out = new NodeAddress[n];
    boolean[] nodeUsed = new boolean[nodes.length];
    int placed = 0;
    for (int i = total - 1; i >= 0 && placed < n; i--) {
      int pair = (int) (keys[i] & 0xFFFF);
      int s = pair / nodes.length;
      int j = pair % nodes.length;
      if (out[s] == null && !nodeUsed[j]) {
        out[s] = nodes[j];
        nodeUsed[j] = true;
        placed++;
      }
    }
    return List.of(out);
  }

  /** A copy with different membership (convenience for tests and reloads). */
  public Rendezvous withNodes(Collection<NodeAddress> members) {
    return new Rendezvous(members);
  }

  @Override
  public String toString() {
    return "rendezvous over " + new ArrayList<>(List.of(nodes));
  }

  /** The splitmix64 finalizer: a fast bijective mixer with good avalanche. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
