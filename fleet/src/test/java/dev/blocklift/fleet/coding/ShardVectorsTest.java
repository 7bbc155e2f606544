package dev.blocklift.fleet.coding;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.blocklift.core.ChunkName;
import dev.blocklift.core.Hex;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Committed test vectors (src/test/resources/rs-vectors.txt, described in docs/fleet.md): the
 * encoder must reproduce them byte for byte, so a change of the matrix, field, padding or frame
 * format cannot slip through. Regenerate only on a deliberate format change, with {@code
 * -Dfleet.regenerateVectors=true}.
 */
class ShardVectorsTest {
  static final String INPUT = "blocklift fleet test vector: 4+1 over GF(2^8) 0x11d";
  static final int[][] CASES = {{4, 1}, {4, 2}, {6, 3}};

  static String render() {
    byte[] input = INPUT.getBytes(StandardCharsets.US_ASCII);
    ChunkName name = ChunkName.ofCiphertext(input);
    StringBuilder b = new StringBuilder();
    b.append("# blocklift fleet Reed-Solomon test vectors (format: docs/fleet.md)\n");
    b.append("input ").append(Hex.encode(input)).append('\n');
    b.append("name ").append(name.hex()).append('\n');
    for (int[] c : CASES) {
      b.append("case ").append(c[0]).append(' ').append(c[1]).append('\n');
      for (Shard s : new ShardCodec(c[0], c[1]).encode(name, input)) {
        b.append("shard ").append(s.index()).append(' ').append(Hex.encode(s.wire())).append('\n');
      }
    }
    return b.toString();
  }

  @Test
  void encoderReproducesTheCommittedVectors() throws IOException {
    String expected = render();
    if (Boolean.getBoolean("fleet.regenerateVectors")) {
      Files.writeString(Path.of("src/test/resources/rs-vectors.txt"), expected);
    }
    String committed;
    try (InputStream in = getClass().getResourceAsStream("/rs-vectors.txt")) {
      assertNotNull(in, "src/test/resources/rs-vectors.txt is missing");
      committed = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertEquals(committed, expected);
  }

  @Test
  void committedVectorsDecodeAndSatisfyTheXorParity() throws IOException {
    String committed;
    try (InputStream in = getClass().getResourceAsStream("/rs-vectors.txt")) {
      assertNotNull(in);
      committed = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    byte[] input = null;
    ChunkName name = null;
    int k = 0;
    int m = 0;
    Shard[] shards = null;
    for (String line : (committed + "case 0 0\n").split("\n")) {
      String[] f = line.split(" ");
      switch (f[0]) {
        case "input" -> input = Hex.decode(f[1]);
        case "name" -> name = ChunkName.of(f[1]);
        case "case" -> {
          if (shards != null) {
            check(input, k, m, shards);
          }
          k = Integer.parseInt(f[1]);
          m = Integer.parseInt(f[2]);
          shards = k == 0 ? null : new Shard[k + m];
        }
        case "shard" -> {
          int i = Integer.parseInt(f[1]);
          shards[i] = Shard.parse(name, i, Hex.decode(f[2]), 1 << 20);
        }
        default -> {}
      }
    }
  }

  private static void check(byte[] input, int k, int m, Shard[] shards) {
    // The first parity shard is the XOR of the data shards (first Cauchy row normalised to ones).
    int len = shards[0].payloadLength();
    for (int p = 0; p < len; p++) {
      int x = 0;
      for (int i = 0; i < k; i++) {
        x ^= shards[i].wire()[Shard.HEADER + p];
      }
      assertEquals((byte) x, shards[k].wire()[Shard.HEADER + p], "k=" + k + " byte " + p);
    }
    for (int mask : ReedSolomonTest.subsets(k + m, k)) {
      Shard[] subset = new Shard[k + m];
      for (int i = 0; i < k + m; i++) {
        subset[i] = (mask & (1 << i)) != 0 ? shards[i] : null;
      }
      assertArrayEquals(input, new ShardCodec(k, m).decode(subset), "k=" + k + " mask=" + mask);
    }
  }
}
