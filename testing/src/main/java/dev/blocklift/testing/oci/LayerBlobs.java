package dev.blocklift.testing.oci;

import com.github.luben.zstd.ZstdOutputStream;
import dev.blocklift.core.Hex;
import dev.blocklift.core.Sha256;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.zip.GZIPOutputStream;

/** Writes a layer's blob into a directory of {@code sha256/<hex>} files, streaming. */
final class LayerBlobs {
  /** What was written: blob digest, size, diff_id (all {@code sha256:<hex>}) and the file. */
  record Written(String digest, long size, String diffId, Path file, String mediaType) {}

  private LayerBlobs() {}

  static Written write(Layer layer, Path blobsDir, Compression compression) throws IOException {
    Files.createDirectories(blobsDir);
    Path tmp = Files.createTempFile(blobsDir, "layer", ".tmp");
    MessageDigest diff = Sha256.newDigest();
    MessageDigest blob = Sha256.newDigest();
    long[] count = {0};
    try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
      OutputStream counted =
          new DigestOutputStream(
              new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                  file.write(b);
                  count[0]++;
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                  file.write(b, off, len);
                  count[0] += len;
                }
              },
              blob);
      if (layer.blobMutation().isPresent()) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (OutputStream c = compressor(buf, compression)) {
          layer.writeTar(new DigestOutputStream(c, diff));
        }
        counted.write(layer.blobMutation().get().apply(buf.toByteArray()));
      } else {
        try (OutputStream c = compressor(nonClosing(counted), compression)) {
          layer.writeTar(new DigestOutputStream(c, diff));
        }
      }
      counted.flush();
    }
    String hex = Hex.encode(blob.digest());
    Path target = blobsDir.resolve(hex);
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    return new Written(
        "sha256:" + hex,
        count[0],
        "sha256:" + Hex.encode(diff.digest()),
        target,
        compression == layer.compression() ? layer.mediaType() : compression.ociMediaType());
  }

  private static OutputStream nonClosing(OutputStream out) {
    return new java.io.FilterOutputStream(out) {
      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
      }

      @Override
      public void close() throws IOException {
        out.flush();
      }
    };
  }

  private static OutputStream compressor(OutputStream out, Compression c) throws IOException {
    return switch (c) {
      case PLAIN -> new BufferedOutputStream(out, 1 << 16);
      case GZIP -> new GZIPOutputStream(out, 1 << 16);
      case ZSTD -> new ZstdOutputStream(out, 3);
    };
  }
}
