package dev.blocklift.image;

import static dev.blocklift.testing.oci.TarEntry.directory;
import static dev.blocklift.testing.oci.TarEntry.file;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.Digest;
import dev.blocklift.core.Hex;
import dev.blocklift.core.ImageRef;
import dev.blocklift.core.Platform;
import dev.blocklift.core.Sha256;
import dev.blocklift.image.tree.DirectoryNode;
import dev.blocklift.image.tree.FileNode;
import dev.blocklift.image.tree.LayerFiles;
import dev.blocklift.testing.GeneratedStreams;
import dev.blocklift.testing.TreeSnapshot;
import dev.blocklift.testing.oci.Compression;
import dev.blocklift.testing.oci.Layer;
import dev.blocklift.testing.oci.TarEntry;
import dev.blocklift.testing.oci.TarWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A directory of 20,000 entries (against umoci) and a file over 4 GiB (streamed, never stored). */
class LargeInputTest {
  @TempDir Path tmp;

  @Test
  void twentyThousandEntriesInOneDirectoryMatchUmoci() throws Exception {
    Layer l = Layer.of(directory("many/")).compression(Compression.GZIP);
    for (int i = 0; i < 20_500; i++) {
      l.add(file("many/f" + i, i % 7 == 0 ? "" : "n" + i));
    }
    Layer upper =
        Layer.of(TarEntry.whiteout("many/f1"), file("many/f2", "changed"))
            .compression(Compression.PLAIN);
    Path layout = Fixtures.layout(tmp.resolve("oci"), l, upper);
    TreeSnapshot ours =
        Fixtures.loadSnapshot(new ImageRef.OciLayout(layout, Optional.of("latest")));
    assertEquals(20_500 + 1, ours.entries().size());
    Fixtures.umoci(layout, tmp.resolve("bundle")).assertSameAs(ours, "20k entries");
  }

  /** An uncompressed layer with one sparse-looking entry of {@code size} zero bytes, streamed. */
  private static final class GeneratedSource implements ImageSource {
    private final long size;
    private final byte[] header;
    private final byte[] trailer;
    private final Descriptor layer;

    GeneratedSource(long size) throws IOException {
      this.size = size;
      ByteArrayOutputStream h = new ByteArrayOutputStream();
      new TarWriter(h).write(file("big", new byte[0]).withDeclaredSize(size));
      header = h.toByteArray();
      trailer = new byte[(int) ((512 - size % 512) % 512) + 1024];
      MessageDigest md = Sha256.newDigest();
      try (InputStream in = open()) {
        byte[] buf = new byte[1 << 20];
        int n;
        while ((n = in.read(buf)) > 0) {
          md.update(buf, 0, n);
        }
      }
      layer =
          new Descriptor(
              MediaTypes.OCI_LAYER,
              Digest.sha256Hex(Hex.encode(md.digest())),
              header.length + size + trailer.length);
    }

    private InputStream open() {
      return new SequenceInputStream(
          java.util.Collections.enumeration(
              List.of(
                  new ByteArrayInputStream(header),
                  GeneratedStreams.zeros(size),
                  new ByteArrayInputStream(trailer))));
    }

    @Override
    public ResolvedImage resolve(Platform platform) {
      String config =
          "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
              + layer.digest()
              + "\"]}}";
      byte[] json = config.getBytes(StandardCharsets.UTF_8);
      return new ResolvedImage(Digest.sha256(json), json, List.of(layer), List.of(layer.digest()));
    }

    @Override
    public InputStream openBlob(Descriptor blob) {
      return open();
    }

    @Override
    public String describe() {
      return "generated";
    }
  }

  @Test
  void fileLargerThanFourGibibytes() throws Exception {
    long size = (4L << 30) + 4097;
    GeneratedSource source = new GeneratedSource(size);
    long[] raw = {0};
    LoadedImage img =
        ImageLoader.load(
            source,
            Platform.LINUX_AMD64,
            new LoadListener() {
              @Override
              public void bytesRead(int layerIndex, long compressedBytes) {
                raw[0] += compressedBytes;
              }
            });
    DirectoryNode root = img.tree().root();
    FileNode big = (FileNode) root.get("big");
    assertEquals(size, big.size());
    assertEquals(List.of(new LayerFiles.Entry(0, size)), img.tree().layers().get(0).files());
    assertEquals(source.layer.size(), raw[0]);
    assertTrue(big.content().isPresent());
  }
}
