package dev.blocklift.flatten;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.Platform;
import dev.blocklift.image.LoadListener;
import dev.blocklift.image.MediaTypes;
import dev.blocklift.testing.oci.TarEntry;
import dev.blocklift.testing.oci.TarWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Robustness without a fuzzing engine: a small valid layer (every entry kind, PAX and GNU records,
 * xattrs, byte names) is mutated with a seeded random generator (bits flipped, bytes overwritten,
 * inserted, deleted, blocks duplicated, the stream truncated), then flattened. Whatever the bytes,
 * the flatten succeeds or throws the project's own exception ({@link BlockliftException}, incl.
 * corrupt data and limits) with a message, within a time bound: never another exception type, an
 * {@link OutOfMemoryError} or a hang. Plain layers exercise the tar reader and the layer rules
 * (digests are taken over the mutated bytes); gzip layers exercise the decompressor.
 */
class MutationFuzzTest {
  private static final int CASES = 200;
  private static final Duration BOUND = Duration.ofSeconds(20);

  @TempDir Path tmp;

  private static byte[] validTar() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    TarWriter w = new TarWriter(b);
    byte[] big = new byte[9000];
    new SplittableRandom(5).nextBytes(big);
    w.write(TarEntry.directory("etc/"));
    w.write(TarEntry.file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"));
    w.write(TarEntry.file("etc/big", big).withMode(0600).withOwner(1000, 1000));
    w.write(
        TarEntry.file("usr/bin/tool", "#!/bin/sh\n")
            .withMode(04755)
            .withXattr("security.capability", Fixtures.cap())
            .withXattr("user.note", "hi".getBytes(StandardCharsets.US_ASCII)));
    w.write(TarEntry.hardLink("usr/bin/tool2", "usr/bin/tool"));
    w.write(TarEntry.symlink("bin", "usr/bin"));
    w.write(TarEntry.symlink("long-link", "/" + "t".repeat(120)));
    w.write(TarEntry.file("d/" + "p".repeat(150), "pax path"));
    w.write(TarEntry.file("d/" + "g".repeat(150), "gnu path").withGnuLongNames());
    w.write(TarEntry.file("x", "\\xff").withNameBytes(new byte[] {'d', '/', (byte) 0xff}));
    w.write(TarEntry.charDevice("dev/null", 1, 3));
    w.write(TarEntry.fifo("dev/fifo"));
    w.write(TarEntry.file("t", "t").withMtime(1_700_000_000L, 123_456_789));
    w.write(TarEntry.whiteout("etc/none"));
    w.finish();
    return b.toByteArray();
  }

  private static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(b)) {
      gz.write(data);
    }
    return b.toByteArray();
  }

  /** One to four random mutations of a copy of {@code in}. */
  static byte[] mutate(byte[] in, SplittableRandom r) {
    byte[] b = in.clone();
    for (int m = 0, n = 1 + r.nextInt(4); m < n && b.length > 0; m++) {
      int at = r.nextInt(b.length);
      if (r.nextInt(5) < 2 && mutateHeader(b, r)) {
        continue; // a header changed behind a valid checksum: the deeper rules get the input
      }
      switch (r.nextInt(7)) {
        case 0 -> b[at] ^= (byte) (1 << r.nextInt(8)); // flip a bit
        case 1 -> b[at] = (byte) r.nextInt(256); // overwrite a byte
        case 2 -> { // overwrite a run with digits or spaces (numeric header fields)
          for (int i = at; i < Math.min(b.length, at + 1 + r.nextInt(12)); i++) {
            b[i] = (byte) (r.nextBoolean() ? '0' + r.nextInt(10) : ' ');
          }
        }
        case 3 -> { // insert bytes
          byte[] extra = new byte[1 + r.nextInt(600)];
          r.nextBytes(extra);
          byte[] c = new byte[b.length + extra.length];
          System.arraycopy(b, 0, c, 0, at);
          System.arraycopy(extra, 0, c, at, extra.length);
          System.arraycopy(b, at, c, at + extra.length, b.length - at);
          b = c;
        }
        case 4 -> { // delete bytes
          int len = Math.min(b.length - at, 1 + r.nextInt(600));
          byte[] c = new byte[b.length - len];
          System.arraycopy(b, 0, c, 0, at);
          System.arraycopy(b, at + len, c, at, b.length - at - len);
          b = c;
        }
        case 5 -> { // duplicate a 512-byte block
          int block = (at / 512) * 512;
          int len = Math.min(512, b.length - block);
          byte[] c = new byte[b.length + len];
          System.arraycopy(b, 0, c, 0, block + len);
          System.arraycopy(b, block, c, block + len, b.length - block);
          b = c;
        }
        default -> b = Arrays.copyOf(b, at); // truncate
      }
    }
    return b;
  }

  /**
   * Changes a few bytes of a random ustar header (its name, mode, owner, size, type, link name or
   * device fields) and recomputes its checksum; false if the stream has no header block.
   */
  static boolean mutateHeader(byte[] b, SplittableRandom r) {
    int blocks = b.length / 512;
    for (int tries = 0; tries < 20 && blocks > 0; tries++) {
      int h = r.nextInt(blocks) * 512;
      if (b[h + 257] != 'u' || b[h + 258] != 's' || b[h + 259] != 't') {
        continue;
      }
      int[] fields = {0, 100, 108, 116, 124, 136, 156, 157, 329, 337, 345};
      for (int k = 0, n = 1 + r.nextInt(3); k < n; k++) {
        int f = h + fields[r.nextInt(fields.length)];
        int len = 1 + r.nextInt(f == h + 156 ? 1 : 8);
        for (int i = f; i < Math.min(f + len, h + 512); i++) {
          int kind = r.nextInt(4);
          b[i] =
              (byte)
                  (kind == 0
                      ? '0' + r.nextInt(8)
                      : kind == 1
                          ? "0123456789./LKxgS".charAt(r.nextInt(17))
                          : kind == 2 ? 0 : r.nextInt(256));
        }
      }
      for (int i = h + 148; i < h + 156; i++) {
        b[i] = ' ';
      }
      long sum = 0;
      for (int i = h; i < h + 512; i++) {
        sum += b[i] & 0xff;
      }
      byte[] octal =
          String.format(java.util.Locale.ROOT, "%06o", sum).getBytes(StandardCharsets.US_ASCII);
      System.arraycopy(octal, 0, b, h + 148, 6);
      b[h + 154] = 0;
      return true;
    }
    return false;
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5})
  void mutatedLayersFailCleanlyOrFlatten(long seed) throws Exception {
    SplittableRandom r = new SplittableRandom(seed);
    byte[] tar = validTar();
    byte[] gz = gzip(tar);
    Map<String, Integer> outcomes = new TreeMap<>();
    for (int i = 0; i < CASES; i++) {
      boolean compressed = i % 4 == 3;
      byte[] blob = mutate(compressed ? gz : tar, r);
      GeneratedImage img =
          GeneratedImage.of(
              compressed ? MediaTypes.OCI_LAYER_GZIP : MediaTypes.OCI_LAYER,
              List.of(() -> new ByteArrayInputStream(blob)));
      String where = "seed " + seed + " case " + i + (compressed ? " (gzip)" : "");
      String outcome = flatten(img, where);
      outcomes.merge(outcome, 1, Integer::sum);
    }
    System.out.println("seed " + seed + ": " + outcomes);
  }

  /** Flattens and returns the outcome: "ok" or the exception's class name. */
  private String flatten(GeneratedImage img, String where) {
    Path out = tmp.resolve("fuzz.img");
    try {
      return assertTimeoutPreemptively(
          BOUND,
          () -> {
            try {
              new Flattener()
                  .flatten(
                      img,
                      Platform.LINUX_AMD64,
                      out,
                      FlattenOptions.defaults(),
                      LoadListener.NONE,
                      FlattenListener.NONE);
              return "ok";
            } catch (BlockliftException e) {
              String m = e.getMessage();
              assertTrue(
                  m != null && !m.isBlank() && !m.contains(": null") && !m.endsWith("null"),
                  where + ": a message that says nothing: " + m);
              return e.getClass().getSimpleName();
            }
          },
          where + ": did not finish within " + BOUND);
    } catch (AssertionError e) {
      throw e;
    } catch (Throwable t) {
      // Another exception type, or an Error: the test fails with the whole story.
      fail(where + ": " + t, t);
      return "unreachable";
    }
  }
}
