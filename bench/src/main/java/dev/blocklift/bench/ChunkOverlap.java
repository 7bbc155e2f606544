package dev.blocklift.bench;

import dev.blocklift.core.Hex;
import dev.blocklift.core.Sha256;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Dedup measure for flattened images: the share of a base image's non-zero chunks whose exact bytes
 * reappear (anywhere) in each derived image.
 *
 * <pre>
 *   ChunkOverlap [--chunk-size BYTES] BASE.img DERIVED.img...
 * </pre>
 *
 * Prints one line per derived image: {@code derived shared/baseNonZero percent}.
 */
public final class ChunkOverlap {
  private ChunkOverlap() {}

  public static void main(String[] args) throws IOException {
    int chunkSize = 512 * 1024;
    int i = 0;
    if (args.length > 1 && args[0].equals("--chunk-size")) {
      chunkSize = Integer.parseInt(args[1]);
      i = 2;
    }
    if (args.length - i < 2) {
      System.err.println("usage: ChunkOverlap [--chunk-size BYTES] BASE.img DERIVED.img...");
      System.exit(2);
    }
    Set<String> base = nonZeroChunks(Path.of(args[i]), chunkSize);
    for (int j = i + 1; j < args.length; j++) {
      Set<String> derived = nonZeroChunks(Path.of(args[j]), chunkSize);
      long shared = base.stream().filter(derived::contains).count();
      System.out.printf(
          Locale.ROOT,
          "%s %d/%d %.1f%%%n",
          args[j],
          shared,
          base.size(),
          base.isEmpty() ? 0.0 : 100.0 * shared / base.size());
    }
  }

  /** Hashes of the distinct non-zero chunks of an image file. */
  static Set<String> nonZeroChunks(Path image, int chunkSize) throws IOException {
    Set<String> hashes = new HashSet<>();
    byte[] buf = new byte[chunkSize];
    byte[] zero = new byte[chunkSize];
    try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
      long size = ch.size();
      for (long off = 0; off < size; off += chunkSize) {
        int len = (int) Math.min(chunkSize, size - off);
        ByteBuffer bb = ByteBuffer.wrap(buf, 0, len);
        while (bb.hasRemaining()) {
          if (ch.read(bb, off + bb.position()) < 0) {
            break;
          }
        }
        if (java.util.Arrays.equals(buf, 0, len, zero, 0, len)) {
          continue;
        }
        hashes.add(Hex.encode(Sha256.hash(buf, 0, len)));
      }
    }
    return hashes;
  }
}
