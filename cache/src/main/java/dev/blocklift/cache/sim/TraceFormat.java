package dev.blocklift.cache.sim;

import dev.blocklift.core.BlockliftException;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The trace file format: UTF-8 text, one chunk access per line, {@code CHUNK [WEIGHT]}:
 *
 * <pre>
 * # comment lines and blank lines are ignored
 * 3f2a...e9            (a chunk id: any token without spaces, usually the 64-hex chunk name)
 * 3f2a...e9 524288     (with the chunk's size in bytes; the default is 524288, one 512 KiB chunk)
 * </pre>
 *
 * Fields are separated by spaces or tabs. A chunk id keeps the weight it was first seen with.
 */
public final class TraceFormat {
  public static final int DEFAULT_WEIGHT = 512 * 1024;

  private TraceFormat() {}

  public static Trace read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new BlockliftException("trace file " + file + " does not exist or is not a file");
    }
    Map<String, Long> ids = new HashMap<>();
    Map<Long, Integer> firstWeight = new HashMap<>();
    LongList keys = new LongList();
    IntList weights = new IntList();
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int lineNo = 0;
      while ((line = r.readLine()) != null) {
        lineNo++;
        String t = line.strip();
        if (t.isEmpty() || t.startsWith("#")) {
          continue;
        }
        String[] f = t.split("[ \t]+");
        if (f.length > 2) {
          throw bad(file, lineNo, line, "expected CHUNK [WEIGHT]");
        }
        int w = DEFAULT_WEIGHT;
        if (f.length == 2) {
          try {
            w = Integer.parseInt(f[1]);
          } catch (NumberFormatException e) {
            throw bad(file, lineNo, line, "weight must be a whole number of bytes");
          }
          if (w <= 0) {
            throw bad(file, lineNo, line, "weight must be positive");
          }
        }
        long id = ids.computeIfAbsent(f[0], k -> (long) ids.size());
        Integer first = firstWeight.putIfAbsent(id, w);
        keys.add(id);
        weights.add(first == null ? w : first);
      }
    }
    return new Trace(file.getFileName().toString(), keys.toArray(), weights.toArray());
  }

  private static BlockliftException bad(Path file, int lineNo, String line, String why) {
    String shown = line.length() > 80 ? line.substring(0, 80) + "..." : line;
    return new BlockliftException(
        "trace " + file + " line " + lineNo + ": " + why + ", got \"" + shown + "\"");
  }

  /** Writes a trace with numeric chunk ids (synthetic traces have no real names). */
  public static void write(Trace trace, Path file) throws IOException {
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      w.write("# blocklift chunk-access trace: " + trace.name() + "\n");
      for (int i = 0; i < trace.length(); i++) {
        w.write(Long.toString(trace.key(i)));
        if (trace.weight(i) != DEFAULT_WEIGHT) {
          w.write(' ');
          w.write(Integer.toString(trace.weight(i)));
        }
        w.write('\n');
      }
    }
  }

  static final class LongList {
    private long[] a = new long[1024];
    private int n;

    void add(long v) {
      if (n == a.length) {
        a = java.util.Arrays.copyOf(a, n * 2);
      }
      a[n++] = v;
    }

    int size() {
      return n;
    }

    long[] toArray() {
      return java.util.Arrays.copyOf(a, n);
    }
  }

  static final class IntList {
    private int[] a = new int[1024];
    private int n;

    void add(int v) {
      if (n == a.length) {
        a = java.util.Arrays.copyOf(a, n * 2);
      }
      a[n++] = v;
    }

    int[] toArray() {
      return java.util.Arrays.copyOf(a, n);
    }
  }
}
