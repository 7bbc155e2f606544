package dev.blocklift.flatten;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.ImageRef;
import dev.blocklift.core.Platform;
import dev.blocklift.image.ImageSource;
import dev.blocklift.image.ImageSources;
import dev.blocklift.image.LoadListener;
import dev.blocklift.testing.oci.Compression;
import dev.blocklift.testing.oci.ImageSpec;
import dev.blocklift.testing.oci.Layer;
import dev.blocklift.testing.oci.OciLayoutWriter;
import dev.blocklift.testing.oci.TarEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Many small layers do not amplify storage: small layers pack together (data, inode ranges,
 * directory blocks) instead of taking a 512 KiB chunk each. 1000 layers of one tiny file each made
 * a 1 GiB device with 1007 non-zero chunks for 2.8 KiB of data. Bound: the non-zero chunks of the
 * device hold at most twice the blocks the files need (at least one chunk's worth), plus the fixed
 * metadata chunks (superblock, bitmaps, inode table, directories), whatever the layer count.
 */
class ManySmallLayersTest {
  private static final int CHUNK = 512 * 1024;

  /** Superblock and GDT, bitmaps, the inode table, root directory, the top of the var region. */
  private static final int FIXED_METADATA_CHUNKS = 6;

  @TempDir Path tmp;

  @ParameterizedTest(name = "{0} layers, own directories: {1}")
  @CsvSource({"1000, false", "1000, true", "100, false", "10, true"})
  void manyOneFileLayersStayWithinTwiceTheirData(int layers, boolean ownDirectory)
      throws Exception {
    Path layout = tmp.resolve("oci");
    OciLayoutWriter w = OciLayoutWriter.create(layout);
    List<Layer> all = new ArrayList<>();
    long dataBytes = 0;
    long fileBlocks = 0;
    for (int i = 0; i < layers; i++) {
      byte[] content = ("f" + i).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      dataBytes += content.length;
      fileBlocks += 1;
      String name = ownDirectory ? "d" + i + "/f" : "f" + i;
      all.add(Layer.of(TarEntry.file(name, content)).compression(Compression.PLAIN));
    }
    w.tag("latest", w.image(ImageSpec.linuxAmd64(), all));
    w.writeIndex();
    Path out = tmp.resolve("many.img");
    FlattenResult r;
    try (ImageSource source =
        ImageSources.open(new ImageRef.OciLayout(layout, Optional.of("latest")))) {
      r =
          new Flattener()
              .flatten(
                  source,
                  Platform.LINUX_AMD64,
                  out,
                  FlattenOptions.defaults(),
                  LoadListener.NONE,
                  FlattenListener.NONE)
              .result();
    }
    Ext4Tools.fsck(out);

    long need = Math.max(CHUNK, fileBlocks * Geometry.BLOCK_SIZE); // what the files occupy
    Geometry g = Geometry.ofClass(Long.numberOfTrailingZeros(r.deviceBytes()));
    long firstMetadataChunk = g.varStart() * Geometry.BLOCK_SIZE / CHUNK;
    long[] chunks = nonZeroChunks(out, firstMetadataChunk);
    long dirChunks = ownDirectory ? (layers + 127) / 128 : 0; // one block per directory, packed
    String what =
        layers
            + " layers, "
            + dataBytes
            + " bytes in "
            + fileBlocks
            + " blocks: device "
            + (r.deviceBytes() >> 20)
            + " MiB, "
            + chunks[0]
            + " data chunks, "
            + chunks[1]
            + " metadata chunks, data region "
            + (r.dataRegionBytes() >> 10)
            + " KiB";
    System.out.println(what);
    assertEquals(64L << 20, r.deviceBytes(), what + ": the smallest size class");
    assertTrue(r.dataRegionBytes() <= 2 * need, what + ": data region over twice the data");
    assertTrue(chunks[0] * CHUNK <= 2 * need, what + ": data chunks over twice the data");
    assertTrue(
        chunks[1] <= FIXED_METADATA_CHUNKS + 2 * dirChunks,
        what + ": metadata chunks beyond the fixed ones and the directories");
  }

  /** {non-zero chunks before {@code firstMetadataChunk} but after chunk 0, the others}. */
  private static long[] nonZeroChunks(Path image, long firstMetadataChunk) throws IOException {
    long[] n = new long[2];
    try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
      ByteBuffer buf = ByteBuffer.allocate(CHUNK);
      for (long i = 0; i * CHUNK < ch.size(); i++) {
        buf.clear();
        while (buf.hasRemaining() && ch.read(buf, i * CHUNK + buf.position()) > 0) {
          // keep reading
        }
        boolean zero = true;
        for (int k = 0; k < buf.position() && zero; k++) {
          zero = buf.get(k) == 0;
        }
        if (!zero) {
          n[i > 0 && i < firstMetadataChunk ? 0 : 1]++;
        }
      }
    }
    return n;
  }
}
