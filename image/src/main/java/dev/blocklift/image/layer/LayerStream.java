package dev.blocklift.image.layer;

import com.github.luben.zstd.ZstdInputStream;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.CorruptDataException;
import dev.blocklift.core.Digest;
import dev.blocklift.core.Failures;
import dev.blocklift.core.Hex;
import dev.blocklift.image.Descriptor;
import dev.blocklift.image.ImageSource;
import dev.blocklift.image.MediaTypes;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.function.LongConsumer;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * One layer blob opened for reading: raw bytes are counted, hashed and bounded by the descriptor's
 * size ({@link BlobInput}: more bytes than that fail at once), then decompressed (by media type, or
 * by magic bytes for docker's types), then hashed again (diff_id). {@link #drain()} reads to the
 * end of the blob and {@link #verify()} checks its size, its digest and the diff_id, each failure a
 * {@link CorruptDataException} naming the layer, what was checked, the expected and the actual
 * value. Nothing is buffered beyond a small read buffer and the few blocks a {@link
 * ReadAheadInputStream} decompresses ahead on its own thread (so inflating overlaps with the
 * caller's tar parsing). Progress ({@code onRaw}) is still reported on the caller's thread.
 */
public final class LayerStream implements AutoCloseable {
  /** Compression of a layer blob. */
  public enum Compression {
    NONE,
    GZIP,
    ZSTD
  }

  private final String layer;
  private final Descriptor descriptor;
  private final Digest diffId;
  private final BlobInput blob;
  private final HashingInputStream uncompressed;
  private final Compression compression;
  private final ReadAheadInputStream readAhead;
  private final LongConsumer onRaw;
  private long reported;

  private LayerStream(
      String layer,
      int layerIndex,
      Descriptor descriptor,
      Digest diffId,
      BlobInput blob,
      InputStream decompressed,
      Compression compression,
      LongConsumer onRaw) {
    this.layer = layer;
    this.descriptor = descriptor;
    this.diffId = diffId;
    this.blob = blob;
    this.compression = compression;
    this.onRaw = onRaw;
    this.readAhead =
        new ReadAheadInputStream(
            decompressed,
            blob::count,
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
    String layer = LayerErrors.layer(layerIndex, descriptor);
    // Read on the read-ahead thread: progress is relayed to the caller's thread, not called here.
    BlobInput blob =
        new BlobInput(source.openBlob(descriptor), layer, descriptor.digest(), descriptor.size());
    try {
      InputStream buffered = new BufferedInputStream(blob, 64 << 10);
      Compression compression = declared != null ? declared : sniff(buffered);
      InputStream decompressed =
          switch (compression) {
            case NONE -> buffered;
            case GZIP ->
                new DecompressedInput(
                    GzipCompressorInputStream.builder()
                        .setInputStream(buffered)
                        .setDecompressConcatenated(true)
                        .get(),
                    layer,
                    "gzip",
                    blob::count);
            case ZSTD ->
                new DecompressedInput(new ZstdInputStream(buffered), layer, "zstd", blob::count);
          };
      return new LayerStream(
          layer, layerIndex, descriptor, diffId, blob, decompressed, compression, onRaw);
    } catch (IOException | RuntimeException e) {
      blob.close();
      if (e instanceof BlockliftException be) {
        throw be;
      }
      throw new CorruptDataException(
          layer + ": cannot start decompressing: " + Failures.describe(e), e);
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
   * Reads whatever follows the tar's end marker (so every byte is hashed), then the rest of the raw
   * blob: a decompressor may stop at the end of its frame, and the blob must end there too.
   */
  public void drain() throws IOException {
    uncompressed.transferTo(OutputStream.nullOutputStream());
    blob.drain();
    if (blob.count() > reported) {
      onRaw.accept(blob.count() - reported);
      reported = blob.count();
    }
  }

  /**
   * After {@link #drain()}: checks the blob's size and digest against the descriptor and the
   * uncompressed tar's digest against the diff_id. Each failure names what it checked.
   */
  public void verify() {
    Digest actualBlob = blob.digest();
    if (blob.count() != descriptor.size()) {
      throw new CorruptDataException(
          layer
              + " blob size mismatch: the descriptor says "
              + descriptor.size()
              + " bytes, the blob has "
              + blob.count()
              + (actualBlob.equals(descriptor.digest())
                  ? ""
                  : " (and its digest is "
                      + actualBlob
                      + ", expected "
                      + descriptor.digest()
                      + ")"));
    }
    if (!actualBlob.equals(descriptor.digest())) {
      throw new DigestMismatchException(
          layer, DigestMismatchException.Checked.BLOB_DIGEST, descriptor.digest(), actualBlob);
    }
    Digest actualDiff = new Digest(diffId.algorithm(), Hex.encode(uncompressed.digest()));
    if (!actualDiff.equals(diffId)) {
      throw new DigestMismatchException(
          layer, DigestMismatchException.Checked.DIFF_ID, diffId, actualDiff);
    }
  }

  /** {@link #drain()} and {@link #verify()}. */
  public void finish() throws IOException {
    drain();
    verify();
  }

  /**
   * After a failure mid-stream: the root cause if it lies in the blob itself, or null. Reads the
   * rest of the raw blob (never more than the descriptor's size) and says so if the blob is longer
   * than its descriptor or its digest is not what the manifest promised.
   */
  String blobFailureAfter() {
    readAhead.stop(); // the read-ahead thread must be done with the blob first
    if (blob.tooLongSeen()) {
      return blob.tooLongMessage();
    }
    try {
      blob.drain();
    } catch (IOException | RuntimeException e) {
      return blob.tooLongSeen() ? blob.tooLongMessage() : null;
    }
    Digest actual = blob.digest();
    if (!actual.equals(descriptor.digest())) {
      return new DigestMismatchException(
              layer, DigestMismatchException.Checked.BLOB_DIGEST, descriptor.digest(), actual)
          .getMessage();
    }
    return null;
  }

  @Override
  public void close() throws IOException {
    readAhead.close();
    try {
      blob.close();
    } finally {
      readAhead.awaitReader();
    }
  }
}
