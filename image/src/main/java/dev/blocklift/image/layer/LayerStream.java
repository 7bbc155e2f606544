package dev.blocklift.image.layer;

import com.github.luben.zstd.ZstdInputStream;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.CorruptDataException;
import dev.blocklift.core.Digest;
import dev.blocklift.core.Hex;
import dev.blocklift.image.Descriptor;
import dev.blocklift.image.ImageSource;
import dev.blocklift.image.MediaTypes;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.LongConsumer;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * One layer blob opened for reading: raw bytes are hashed and counted (blob digest and size), then
 * decompressed (by media type, or by magic bytes for docker's types), then hashed again (diff_id).
 * {@link #finish()} reads to the end of the blob and throws {@link CorruptDataException} naming the
 * layer, the expected and the actual digest on any mismatch. Nothing is buffered beyond a small
 * read buffer and the few blocks a {@link ReadAheadInputStream} decompresses ahead on its own
 * thread (so inflating overlaps with the caller's tar parsing). Progress ({@code onRaw}) is still
 * reported on the caller's thread.
 */
public final class LayerStream implements AutoCloseable {
  /** Compression of a layer blob. */
  public enum Compression {
    NONE,
    GZIP,
    ZSTD
  }

  private final int layerIndex;
  private final Descriptor descriptor;
  private final Digest diffId;
  private final InputStream raw;
  private final HashingInputStream compressed;
  private final HashingInputStream uncompressed;
  private final Compression compression;
  private final ReadAheadInputStream readAhead;
  private final LongConsumer onRaw;
  private long reported;

  private LayerStream(
      int layerIndex,
      Descriptor descriptor,
      Digest diffId,
      InputStream raw,
      HashingInputStream compressed,
      InputStream decompressed,
      Compression compression,
      LongConsumer onRaw) {
    this.layerIndex = layerIndex;
    this.descriptor = descriptor;
    this.diffId = diffId;
    this.raw = raw;
    this.compressed = compressed;
    this.compression = compression;
    this.onRaw = onRaw;
    this.readAhead =
        new ReadAheadInputStream(
            decompressed,
            compressed::count,
            ReadAheadInputStream.daemonThreads("blocklift-layer-" + layerIndex));
    this.uncompressed =
        new HashingInputStream(readAhead, diffId.newMessageDigest(), n -> reportProgress());
  }

  /** Reports the compressed bytes behind what the caller has read so far. */
  private void reportProgress() {
    long p = readAhead.progress();
    if (p > reported) {
      onRaw.accept(p - reported);
      reported = p;
    }
  }

  /** Which compression a media type says, or null when it must be sniffed from the bytes. */
  static Compression byMediaType(String mediaType, int layerIndex) {
    if (MediaTypes.SNIFFED_LAYERS.contains(mediaType)) {
      return null;
    }
    return switch (mediaType) {
      case MediaTypes.OCI_LAYER, "application/vnd.oci.image.layer.nondistributable.v1.tar" ->
          Compression.NONE;
      case MediaTypes.OCI_LAYER_GZIP,
          "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip" ->
          Compression.GZIP;
      case MediaTypes.OCI_LAYER_ZSTD,
          "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd" ->
          Compression.ZSTD;
      default ->
          throw new BlockliftException(
              "layer "
                  + layerIndex
                  + " has unsupported media type \""
                  + Hex.abbreviate(mediaType)
                  + "\" (supported: tar, tar+gzip, tar+zstd)");
    };
  }

  public static LayerStream open(
      ImageSource source, int layerIndex, Descriptor descriptor, Digest diffId, LongConsumer onRaw)
      throws IOException {
    Compression declared = byMediaType(descriptor.mediaType(), layerIndex);
    InputStream raw = source.openBlob(descriptor);
    // Read on the read-ahead thread: progress is relayed to the caller's thread, not called here.
    HashingInputStream compressed =
        new HashingInputStream(raw, descriptor.digest().newMessageDigest(), n -> {});
    try {
      InputStream buffered = new BufferedInputStream(compressed, 64 << 10);
      Compression compression = declared != null ? declared : sniff(buffered);
      InputStream decompressed =
          switch (compression) {
            case NONE -> buffered;
            case GZIP ->
                GzipCompressorInputStream.builder()
                    .setInputStream(buffered)
                    .setDecompressConcatenated(true)
                    .get();
            case ZSTD -> new ZstdInputStream(buffered);
          };
      return new LayerStream(
          layerIndex, descriptor, diffId, raw, compressed, decompressed, compression, onRaw);
    } catch (IOException | RuntimeException e) {
      raw.close();
      if (e instanceof BlockliftException be) {
        throw be;
      }
      throw new CorruptDataException(
          "layer "
              + layerIndex
              + " ("
              + descriptor.digest()
              + "): cannot start decompressing: "
              + e.getMessage(),
          e);
    }
  }

  private static Compression sniff(InputStream in) throws IOException {
    in.mark(4);
    byte[] magic = in.readNBytes(4);
    in.reset();
    if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
      return Compression.GZIP;
    }
    if (magic.length == 4
        && (magic[0] & 0xff) == 0x28
        && (magic[1] & 0xff) == 0xb5
        && (magic[2] & 0xff) == 0x2f
        && (magic[3] & 0xff) == 0xfd) {
      return Compression.ZSTD;
    }
    return Compression.NONE;
  }

  /** The uncompressed tar stream. */
  public InputStream tar() {
    return uncompressed;
  }

  public Compression compression() {
    return compression;
  }

  public long uncompressedBytes() {
    return uncompressed.count();
  }

  /**
   * Reads whatever follows the tar's end marker (so every byte is hashed), then checks the blob's
   * size and digest and the diff_id.
   */
  public void finish() throws IOException {
    uncompressed.transferTo(java.io.OutputStream.nullOutputStream());
    // A decompressor may stop at the end of its frame; the raw blob must end there too.
    compressed.transferTo(java.io.OutputStream.nullOutputStream());
    if (compressed.count() > reported) {
      onRaw.accept(compressed.count() - reported);
      reported = compressed.count();
    }
    String layer = "layer " + layerIndex;
    Digest blob = new Digest(descriptor.digest().algorithm(), Hex.encode(compressed.digest()));
    if (compressed.count() != descriptor.size() && !blob.equals(descriptor.digest())) {
      throw new CorruptDataException(
          layer
              + " blob "
              + descriptor.digest()
              + " has "
              + compressed.count()
              + " bytes, descriptor says "
              + descriptor.size()
              + " (expected digest "
              + descriptor.digest()
              + ", actual "
              + blob
              + ")");
    }
    if (!blob.equals(descriptor.digest())) {
      throw new CorruptDataException(
          layer + " blob digest mismatch: expected " + descriptor.digest() + ", actual " + blob);
    }
    if (compressed.count() != descriptor.size()) {
      throw new CorruptDataException(
          layer
              + " blob "
              + descriptor.digest()
              + " has "
              + compressed.count()
              + " bytes, descriptor says "
              + descriptor.size());
    }
    Digest actualDiff = new Digest(diffId.algorithm(), Hex.encode(uncompressed.digest()));
    if (!actualDiff.equals(diffId)) {
      throw new CorruptDataException(
          layer + " diff_id mismatch: expected " + diffId + ", actual " + actualDiff);
    }
  }

  /**
   * After a failure mid-stream: reads the rest of the raw blob (bounded by the descriptor's size
   * plus a margin) and returns a digest-mismatch message if the blob is not what the manifest
   * promised, or null if it is (or cannot be told).
   */
  String blobMismatchAfterFailure() {
    readAhead.stop(); // the read-ahead thread must be done with the raw stream first
    try {
      byte[] buf = new byte[64 << 10];
      long limit = descriptor.size() + (1 << 20);
      while (compressed.count() < limit) {
        if (compressed.read(buf, 0, buf.length) < 0) {
          break;
        }
      }
      if (compressed.count() >= limit) {
        return "layer "
            + layerIndex
            + " blob "
            + descriptor.digest()
            + " is longer than its descriptor size "
            + descriptor.size();
      }
      Digest blob = new Digest(descriptor.digest().algorithm(), Hex.encode(compressed.digest()));
      if (!blob.equals(descriptor.digest())) {
        return "layer "
            + layerIndex
            + " blob digest mismatch: expected "
            + descriptor.digest()
            + ", actual "
            + blob;
      }
      return null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  @Override
  public void close() throws IOException {
    readAhead.close();
    try {
      raw.close();
    } finally {
      readAhead.awaitReader();
    }
  }
}
