package dev.blocklift.cache.sim;

import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ByteSize;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Replays chunk-access traces through each eviction policy at several cache sizes and prints hit
 * rates (and byte hit rates), Caffeine's simulator style. Run with {@code --help} for the options;
 * the trace file format is described in {@link TraceFormat}.
 */
public final class Simulator {
  static final List<String> DEFAULT_POLICIES = List.of("lru", "lru-2", "w-tinylfu", "caffeine");
  static final List<String> DEFAULT_SIZES = List.of("0.5%", "1%", "2%", "5%", "10%", "20%");
  static final List<String> DEFAULT_SYNTHETIC = List.of("scan", "zipf", "container");

  /** One cell of the table. */
  public record Result(
      String trace,
      String policy,
      long capacityBytes,
      String sizeLabel,
      long accesses,
      long hits,
      long bytes,
      long hitBytes) {
    public double hitRate() {
      return accesses == 0 ? 0 : (double) hits / accesses;
    }

    public double byteHitRate() {
      return bytes == 0 ? 0 : (double) hitBytes / bytes;
    }
  }

  private Simulator() {}

  /** Replays {@code trace} through a fresh cache of {@code policy} with {@code capacity} bytes. */
  public static Result simulate(Trace trace, String policy, long capacity, String sizeLabel) {
    SimulatedCache cache = SimulatedCache.create(policy, capacity);
    long hits = 0;
    long hitBytes = 0;
    for (int i = 0; i < trace.length(); i++) {
      if (cache.access(trace.key(i), trace.weight(i))) {
        hits++;
        hitBytes += trace.weight(i);
      }
    }
    return new Result(
        trace.name(),
        policy,
        capacity,
        sizeLabel,
        trace.length(),
        hits,
        trace.totalBytes(),
        hitBytes);
  }

  /** Cache size from {@code 5%} (of the trace's unique bytes) or an absolute size like 1GiB. */
  static long capacityFor(Trace trace, String size) {
    String s = size.trim();
    if (s.endsWith("%")) {
      double pct;
      try {
        pct = Double.parseDouble(s.substring(0, s.length() - 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bad cache size \"" + size + "\": expected e.g. 5%", e);
      }
      if (!(pct > 0 && pct <= 100)) {
        throw new IllegalArgumentException("cache size \"" + size + "\" must be in (0%, 100%]");
      }
      return (long) (trace.uniqueBytes() * pct / 100);
    }
    return ByteSize.parse(s).bytes();
  }

  /** Runs every policy at every size over one trace. */
  public static List<Result> run(
      Trace trace, List<String> policies, List<String> sizes, PrintStream progress) {
    List<Result> out = new ArrayList<>();
    for (String size : sizes) {
      long cap = capacityFor(trace, size);
      for (String p : policies) {
        long t0 = System.nanoTime();
        Result r = simulate(trace, p, cap, size);
        out.add(r);
        if (progress != null) {
          progress.printf(
              Locale.ROOT,
              "  %s %s %s: %.2f%% (%.1f s)%n",
              trace.name(),
              size,
              p,
              100 * r.hitRate(),
              (System.nanoTime() - t0) / 1e9);
        }
      }
    }
    return out;
  }

  /** The table for one trace: rows are sizes, columns policies, cells "hit% / byte-hit%". */
  public static String table(Trace trace, List<String> policies, List<Result> results) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "trace %s: %,d accesses, %,d unique chunks, %s unique, %s read%n",
            trace.name(),
            trace.length(),
            trace.uniqueKeys(),
            ByteSize.format(trace.uniqueBytes()),
            ByteSize.format(trace.totalBytes())));
    sb.append(String.format(Locale.ROOT, "| %-18s |", "cache size"));
    for (String p : policies) {
      sb.append(String.format(Locale.ROOT, " %-17s |", p + " hit/byte"));
    }
    sb.append(String.format(Locale.ROOT, " %-10s |%n", "best"));
    sb.append("|").append("-".repeat(20)).append("|");
    for (int i = 0; i < policies.size(); i++) {
      sb.append("-".repeat(19)).append("|");
    }
    sb.append("-".repeat(12)).append("|\n");
    Map<String, List<Result>> bySize = new LinkedHashMap<>();
    for (Result r : results) {
      bySize.computeIfAbsent(r.sizeLabel(), k -> new ArrayList<>()).add(r);
    }
    for (Map.Entry<String, List<Result>> e : bySize.entrySet()) {
      List<Result> row = e.getValue();
      String label = e.getKey() + " (" + ByteSize.format(row.getFirst().capacityBytes()) + ")";
      sb.append(String.format(Locale.ROOT, "| %-18s |", label));
      Result best = row.getFirst();
      for (String p : policies) {
        Result r = row.stream().filter(x -> x.policy().equals(p)).findFirst().orElseThrow();
        if (r.hitRate() > best.hitRate()) {
          best = r;
        }
        sb.append(
            String.format(
                Locale.ROOT, " %6.2f%% / %6.2f%% |", 100 * r.hitRate(), 100 * r.byteHitRate()));
      }
      sb.append(String.format(Locale.ROOT, " %-10s |%n", best.policy()));
    }
    sb.append("mean hit rate over sizes:");
    for (String p : policies) {
      double mean =
          results.stream()
              .filter(r -> r.policy().equals(p))
              .mapToDouble(Result::hitRate)
              .average()
              .orElse(0);
      sb.append(String.format(Locale.ROOT, "  %s %.2f%%", p, 100 * mean));
    }
    sb.append('\n');
    return sb.toString();
  }

  private static final String USAGE =
      """
      Usage: java dev.blocklift.cache.sim.Simulator [options]
        Replays chunk-access traces through eviction policies and prints hit rates.
        --trace FILE          a trace file (repeatable): one chunk per line, "CHUNK [WEIGHT]",
                              '#' comments; WEIGHT in bytes, default 524288
        --synthetic LIST      generated traces: scan,zipf,container (default: all three when
                              no --trace is given)
        --policies LIST       lru,lru-2,w-tinylfu,caffeine (default: all)
        --sizes LIST          cache sizes, as % of the trace's unique bytes or absolute
                              (e.g. 0.5%,1%,5% or 256MiB,1GiB); default 0.5%,1%,2%,5%,10%,20%
        --seed N              seed for the synthetic traces (default 42)
        --scale X             length multiplier for synthetic traces (default 1.0)
        --write-traces DIR    also write the synthetic traces to DIR in the trace format
        -h, --help            this help
      """;

  public static void main(String[] args) {
    try {
      System.exit(run(args, System.out, System.err));
    } catch (BlockliftException | IllegalArgumentException e) {
      System.err.println("simulator: " + e.getMessage());
      System.exit(2);
    }
  }

  /** The command line, testable: returns the exit code. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    List<Path> traces = new ArrayList<>();
    List<String> synthetic = null;
    List<String> policies = DEFAULT_POLICIES;
    List<String> sizes = DEFAULT_SIZES;
    long seed = 42;
    double scale = 1.0;
    Path writeDir = null;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "-h", "--help" -> {
          out.print(USAGE);
          return 0;
        }
        case "--trace" -> traces.add(Path.of(value(args, ++i, a)));
        case "--synthetic" -> synthetic = list(value(args, ++i, a));
        case "--policies" -> policies = list(value(args, ++i, a));
        case "--sizes" -> sizes = list(value(args, ++i, a));
        case "--seed" -> seed = parseLong(value(args, ++i, a), a);
        case "--scale" -> scale = parseScale(value(args, ++i, a));
        case "--write-traces" -> writeDir = Path.of(value(args, ++i, a));
        default -> throw new IllegalArgumentException("unknown option \"" + a + "\"; see --help");
      }
    }
    for (String p : policies) {
      SimulatedCache.create(p, 1); // validates the name before any long run
    }
    if (synthetic == null) {
      synthetic = traces.isEmpty() ? DEFAULT_SYNTHETIC : List.of();
    }
    List<Trace> all = new ArrayList<>();
    try {
      for (String s : synthetic) {
        Trace t = TraceGenerators.byName(s, seed, scale);
        all.add(t);
        if (writeDir != null) {
          Files.createDirectories(writeDir);
          TraceFormat.write(t, writeDir.resolve(s + "-" + seed + ".trace"));
        }
      }
      for (Path p : traces) {
        all.add(TraceFormat.read(p));
      }
    } catch (IOException e) {
      throw new BlockliftException("cannot read or write a trace: " + e.getMessage(), e);
    }
    Map<String, double[]> overall = new LinkedHashMap<>();
    for (Trace t : all) {
      err.println("simulating " + t.name() + " (" + t.length() + " accesses)");
      List<Result> results = run(t, policies, sizes, err);
      out.println(table(t, policies, results));
      for (String p : policies) {
        double mean =
            results.stream()
                .filter(r -> r.policy().equals(p))
                .mapToDouble(Result::hitRate)
                .average()
                .orElse(0);
        double[] acc = overall.computeIfAbsent(p, k -> new double[2]);
        acc[0] += mean;
        acc[1]++;
      }
    }
    if (all.size() > 1) {
      out.print("mean hit rate over all traces and sizes:");
      overall.forEach((p, acc) -> out.printf(Locale.ROOT, "  %s %.2f%%", p, 100 * acc[0] / acc[1]));
      out.println();
    }
    return 0;
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      throw new IllegalArgumentException(option + " needs a value; see --help");
    }
    return args[i];
  }

  private static List<String> list(String s) {
    return Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
  }

  private static long parseLong(String s, String option) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " must be a whole number, got \"" + s + "\"", e);
    }
  }

  private static double parseScale(String s) {
    try {
      double d = Double.parseDouble(s);
      if (!(d > 0 && d <= 100)) {
        throw new IllegalArgumentException("--scale must be in (0, 100], got \"" + s + "\"");
      }
      return d;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--scale must be a number, got \"" + s + "\"", e);
    }
  }
}
