package dev.blocklift.cache.sim;

import dev.blocklift.cache.sim.TraceFormat.IntList;
import dev.blocklift.cache.sim.TraceFormat.LongList;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Seeded synthetic chunk-access traces (every chunk 512 KiB). The same seed and scale give the same
 * trace on every machine.
 */
public final class TraceGenerators {
  private static final int CHUNK = TraceFormat.DEFAULT_WEIGHT;

  private TraceGenerators() {}

  /** The generators by name, as {@code --synthetic} takes them. */
  public static Trace byName(String name, long seed, double scale) {
    return switch (name.trim().toLowerCase(Locale.ROOT)) {
      case "scan" -> scanHeavy(seed, scale);
      case "zipf" -> zipf(seed, scale);
      case "container" -> containerStarts(seed, scale);
      default ->
          throw new IllegalArgumentException(
              "unknown synthetic trace \"" + name + "\"; use scan, zipf or container");
    };
  }

  private static int scaled(int n, double scale) {
    return Math.max(1, (int) Math.round(n * scale));
  }

  /**
   * Scan-heavy: half the accesses go to a hot set of 5,000 chunks (Zipf 0.8), the other half are a
   * scan stream that alternates between a loop over the same 15,000-chunk region (re-read every
   * other pass: a loop larger than most cache sizes) and a fresh region read once and never again.
   * 400,000 accesses at scale 1.
   */
  public static Trace scanHeavy(long seed, double scale) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int hot = scaled(5_000, scale);
    int segment = scaled(15_000, scale);
    int accesses = scaled(400_000, scale);
    Zipf zipf = new Zipf(hot, 0.8);
    long loopBase = 1L << 32;
    long freshNext = 2L << 32;
    LongList keys = new LongList();
    int cursor = 0;
    boolean inLoop = true;
    for (int i = 0; i < accesses; i++) {
      if (rnd.nextBoolean()) {
        keys.add(zipf.sample(rnd));
      } else {
        keys.add(inLoop ? loopBase + cursor : freshNext++);
        if (++cursor == segment) {
          cursor = 0;
          inLoop = !inLoop;
        }
      }
    }
    return uniform("scan(seed " + seed + ")", keys);
  }

  /** Zipf(0.99) over 100,000 chunks, 600,000 accesses at scale 1. */
  public static Trace zipf(long seed, double scale) {
    SplittableRandom rnd = new SplittableRandom(seed);
    Zipf z = new Zipf(scaled(100_000, scale), 0.99);
    int accesses = scaled(600_000, scale);
    LongList keys = new LongList();
    for (int i = 0; i < accesses; i++) {
      keys.add(z.sample(rnd));
    }
    return uniform("zipf(seed " + seed + ")", keys);
  }

  private static final class Layer {
    final long first;
    final int size;
    final int[] startSet;

    Layer(long first, int size, int[] startSet) {
      this.first = first;
      this.size = size;
      this.startSet = startSet;
    }
  }

  private record Image(Layer base, Layer runtime, Layer app) {}

  /**
   * Container starts on one worker. Images are built from layers: one of 4 base images (30 MiB to
   * 450 MiB, by popularity), often one of 12 shared runtime layers (a language runtime), and an
   * application layer of their own (log-normal, median ~45 MiB). Each layer has a fixed "start
   * set", about 6.4% of its chunks (what a container reads when it starts, Slacker's figure); a
   * start reads the start sets of its image's layers in offset order, skipping 5% of them and
   * adding ~0.5% other chunks at random (different code paths). Image popularity is Zipf(1.0) over
   * 1,500 images, and 3% of starts follow a deploy: a popular image is replaced by a new version
   * (same base and runtime, a new application layer). 25,000 starts at scale 1 (~1M accesses).
   */
  public static Trace containerStarts(long seed, double scale) {
    SplittableRandom rnd = new SplittableRandom(seed);
    long[] next = {0};
    int[] baseSizes = {480, 60, 800, 900};
    double[] basePopularity = {0.35, 0.15, 0.35, 0.15};
    List<Layer> bases = new ArrayList<>();
    for (int s : baseSizes) {
      bases.add(layer(rnd, next, s));
    }
    List<Layer> runtimes = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      runtimes.add(layer(rnd, next, 80 + rnd.nextInt(320)));
    }
    int imageCount = scaled(1_500, scale);
    Image[] ranked = new Image[imageCount];
    for (int i = 0; i < imageCount; i++) {
      Layer base = bases.get(pick(rnd, basePopularity));
      Layer runtime = rnd.nextDouble() < 0.7 ? runtimes.get(rnd.nextInt(runtimes.size())) : null;
      ranked[i] = new Image(base, runtime, layer(rnd, next, appSize(rnd)));
    }
    Zipf popularity = new Zipf(imageCount, 1.0);
    int starts = scaled(25_000, scale);
    LongList keys = new LongList();
    for (int s = 0; s < starts; s++) {
      if (rnd.nextDouble() < 0.03) {
        int r = popularity.sample(rnd);
        Image old = ranked[r];
        ranked[r] = new Image(old.base, old.runtime, layer(rnd, next, appSize(rnd)));
      }
      Image image = ranked[popularity.sample(rnd)];
      start(rnd, image.base, keys);
      if (image.runtime != null) {
        start(rnd, image.runtime, keys);
      }
      start(rnd, image.app, keys);
    }
    return uniform("container(seed " + seed + ")", keys);
  }

  private static int appSize(SplittableRandom rnd) {
    double gaussian = gaussian(rnd);
    return (int) Math.min(4000, Math.max(4, Math.exp(4.5 + 1.2 * gaussian)));
  }

  private static double gaussian(SplittableRandom rnd) {
    // Box-Muller, one value per call (deterministic for a seed).
    double u1 = Math.max(1e-12, rnd.nextDouble());
    double u2 = rnd.nextDouble();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  private static Layer layer(SplittableRandom rnd, long[] next, int size) {
    IntList set = new IntList();
    int count = 0;
    for (int i = 0; i < size; i++) {
      if (rnd.nextDouble() < 0.064) {
        set.add(i);
        count++;
      }
    }
    if (count == 0) {
      set.add(0);
    }
    Layer l = new Layer(next[0], size, set.toArray());
    next[0] += size;
    return l;
  }

  private static void start(SplittableRandom rnd, Layer l, LongList out) {
    for (int off : l.startSet) {
      if (rnd.nextDouble() >= 0.05) {
        out.add(l.first + off);
      }
    }
    int extra = (int) Math.round(l.size * 0.005 + rnd.nextDouble());
    for (int i = 0; i < extra; i++) {
      out.add(l.first + rnd.nextInt(l.size));
    }
  }

  private static int pick(SplittableRandom rnd, double[] weights) {
    double x = rnd.nextDouble();
    for (int i = 0; i < weights.length; i++) {
      x -= weights[i];
      if (x < 0) {
        return i;
      }
    }
    return weights.length - 1;
  }

  private static Trace uniform(String name, LongList keys) {
    int[] weights = new int[keys.size()];
    java.util.Arrays.fill(weights, CHUNK);
    return new Trace(name, keys.toArray(), weights);
  }
}
