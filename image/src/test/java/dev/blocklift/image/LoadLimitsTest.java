package dev.blocklift.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.ByteSize;
import dev.blocklift.core.CorruptDataException;
import dev.blocklift.core.Digest;
import dev.blocklift.core.Platform;
import dev.blocklift.image.tree.DirectoryNode;
import dev.blocklift.testing.oci.TarEntry;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * No layer can make the loader do unbounded work: header records, paths, entries, nodes and
 * metadata bytes are bounded ({@link LoadLimits}, PATH_MAX, NAME_MAX), each with a clear error that
 * names the limit and the value. The hostile layers are generated as they are read.
 */
class LoadLimitsTest {
  private static final Digest SOME = Digest.sha256(new byte[] {2});
  private static final Duration BOUND = Duration.ofSeconds(20);

  private static SyntheticSource source(Supplier<InputStream> tar) {
    return new SyntheticSource(MediaTypes.OCI_LAYER, SOME, Long.MAX_VALUE / 2, SOME, tar);
  }

  private static <T extends Throwable> T loadFails(
      Class<T> type, SyntheticSource source, LoadLimits limits) {
    return assertTimeoutPreemptively(
        BOUND,
        () ->
            assertThrows(
                type,
                () ->
                    ImageLoader.load(
                        source,
                        Platform.LINUX_AMD64,
                        LoadListener.NONE,
                        FileDataSink.NONE,
                        limits)));
  }

  private static void assertMentions(Throwable e, String... parts) {
    for (String p : parts) {
      assertTrue(e.getMessage().contains(p), "lacks \"" + p + "\": " + e.getMessage());
    }
  }

  /** A record header of {@code type} announcing {@code size} bytes of 'a/' and then a file. */
  private static Supplier<InputStream> hugeRecord(char type, long size) {
    return () -> {
      try {
        byte[] header = GeneratedTar.header(type, size);
        InputStream body =
            new InputStream() {
              long left = size;

              @Override
              public int read() {
                return left-- > 0 ? (left % 2 == 0 ? '/' : 'a') : -1;
              }

              @Override
              public int read(byte[] b, int off, int len) {
                if (left <= 0) {
                  return -1;
                }
                int n = (int) Math.min(len, left);
                for (int i = 0; i < n; i++) {
                  b[off + i] = (byte) (--left % 2 == 0 ? '/' : 'a');
                }
                return n;
              }
            };
        return new SequenceInputStream(
            java.util.Collections.enumeration(
                List.of(
                    new ByteArrayInputStream(header),
                    body,
                    GeneratedTar.of(i -> i == 0 ? TarEntry.file("x", "x") : null))));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    };
  }

  @Test
  void hugeGnuLongNameIsRefusedBeforeItIsRead() {
    // 6 MiB of "a/a/a/...": once, 3 million nested directories and a 128 GiB device.
    SyntheticSource s = source(hugeRecord('L', 6L << 20));
    LimitExceededException e = loadFails(LimitExceededException.class, s, LoadLimits.defaults());
    assertMentions(
        e, "layer 0 (" + SOME + ")", "GNU long name of 6291456 bytes", "maxHeaderBytes = 1048576");
    assertTrue(s.served() < 4L << 20, "read " + s.served() + " bytes");
  }

  @Test
  void hugePaxHeaderIsRefusedBeforeItIsRead() {
    SyntheticSource s = source(hugeRecord('x', 6L << 20));
    LimitExceededException e = loadFails(LimitExceededException.class, s, LoadLimits.defaults());
    assertMentions(e, "pax header of 6291456 bytes", "LoadLimits.maxHeaderBytes = 1048576");
  }

  @Test
  void gnuLongNameOverPathMaxIsAClearError() {
    String name = "a/".repeat(3000) + "f"; // 6001 bytes: within the record limit, over PATH_MAX
    SyntheticSource s =
        source(
            () ->
                GeneratedTar.of(i -> i == 0 ? TarEntry.file(name, "x").withGnuLongNames() : null));
    CorruptDataException e = loadFails(CorruptDataException.class, s, LoadLimits.defaults());
    assertMentions(e, "layer 0", "path longer than PATH_MAX (6001 bytes, at most 4095");
  }

  @Test
  void paxPathOverPathMaxIsAClearError() {
    String name = "b/".repeat(2100); // 4200 bytes in a PAX path record
    SyntheticSource s =
        source(() -> GeneratedTar.of(i -> i == 0 ? TarEntry.file(name, "x") : null));
    CorruptDataException e = loadFails(CorruptDataException.class, s, LoadLimits.defaults());
    assertMentions(e, "path longer than PATH_MAX (4200 bytes");
  }

  @Test
  void pathJustWithinPathMaxIsFine() throws Exception {
    String name = "c/".repeat(2047) + "f"; // 4095 bytes: 2047 nested directories
    Digest diff =
        Digest.sha256(
            GeneratedTar.of(i -> i == 0 ? TarEntry.file(name, "x") : null).readAllBytes());
    SyntheticSource s =
        new SyntheticSource(
            MediaTypes.OCI_LAYER,
            diff,
            GeneratedTar.of(i -> i == 0 ? TarEntry.file(name, "x") : null).readAllBytes().length,
            diff,
            () -> GeneratedTar.of(i -> i == 0 ? TarEntry.file(name, "x") : null));
    LoadedImage img = ImageLoader.load(s, Platform.LINUX_AMD64, LoadListener.NONE);
    DirectoryNode d = img.tree().root();
    for (int i = 0; i < 2047; i++) {
      d = (DirectoryNode) d.get("c");
    }
    assertTrue(d.get("f") != null);
  }

  @Test
  void entriesBeyondTheLimitFail() {
    SyntheticSource s = source(() -> GeneratedTar.of(i -> TarEntry.file("f" + i, new byte[0])));
    LimitExceededException e =
        loadFails(LimitExceededException.class, s, LoadLimits.defaults().withMaxEntries(1000));
    assertMentions(
        e, "entry #1000 \"f1000\"", "tar entry 1001 of the image", "LoadLimits.maxEntries = 1000");
    assertEquals("LoadLimits.maxEntries", e.limit());
  }

  @Test
  void nodesBeyondTheLimitFailInsideOneDeepEntry() {
    // One entry, 1500 missing parents: the nodes are counted as they are created.
    String name = "d/".repeat(1500) + "f";
    SyntheticSource s =
        source(() -> GeneratedTar.of(i -> i == 0 ? TarEntry.file(name, "x") : null));
    LimitExceededException e =
        loadFails(LimitExceededException.class, s, LoadLimits.defaults().withMaxNodes(1000));
    assertMentions(e, "entry #0", "node 1001 of the tree", "LoadLimits.maxNodes = 1000");
  }

  @Test
  void nodesBeyondTheLimitFailOverManyEntries() {
    SyntheticSource s =
        source(() -> GeneratedTar.of(i -> TarEntry.file("dir" + i + "/f", new byte[0])));
    LimitExceededException e =
        loadFails(LimitExceededException.class, s, LoadLimits.defaults().withMaxNodes(1000));
    assertMentions(e, "node 1001 of the tree", "LoadLimits.maxNodes = 1000");
  }

  @Test
  void metadataBeyondTheLimitFails() {
    byte[] big = new byte[100 << 10];
    SyntheticSource s =
        source(() -> GeneratedTar.of(i -> TarEntry.file("x" + i, "").withXattr("user.big", big)));
    LimitExceededException e =
        loadFails(
            LimitExceededException.class,
            s,
            LoadLimits.defaults().withMaxMetadataBytes(ByteSize.ofMiB(1)));
    assertMentions(e, "metadata bytes", "LoadLimits.maxMetadataBytes = 1048576");
  }

  @Test
  void limitsAreValidated() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> LoadLimits.defaults().withMaxEntries(0));
    assertMentions(e, "LoadLimits.maxEntries", "got 0");
  }
}
