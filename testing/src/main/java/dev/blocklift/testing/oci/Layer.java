package dev.blocklift.testing.oci;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * A fixture layer: tar entries in order, how the blob is compressed, and optional damage (raw bytes
 * after the entries, no end marker, a transformation of the final blob bytes).
 */
public final class Layer {
  private final List<TarEntry> entries = new ArrayList<>();
  private Compression compression = Compression.GZIP;
  private byte[] rawTail = new byte[0];
  private boolean endMarker = true;
  private UnaryOperator<byte[]> blobMutation;
  private String mediaTypeOverride;

  public static Layer of(TarEntry... entries) {
    Layer l = new Layer();
    l.entries.addAll(List.of(entries));
    return l;
  }

  public Layer add(TarEntry... more) {
    entries.addAll(List.of(more));
    return this;
  }

  public Layer compression(Compression c) {
    this.compression = c;
    return this;
  }

  /** Appends raw bytes after the last entry (before the end marker, if any). */
  public Layer rawTail(byte[] bytes) {
    this.rawTail = bytes.clone();
    return this;
  }

  public Layer withoutEndMarker() {
    this.endMarker = false;
    return this;
  }

  /**
   * Changes the final (compressed) blob bytes; the descriptor is computed over the changed bytes,
   * the diff_id over the original tar, so this tests the decompressor and tar reader, not the
   * digest check. Buffers the blob: use with small layers only.
   */
  public Layer mutateBlob(UnaryOperator<byte[]> mutation) {
    this.blobMutation = mutation;
    return this;
  }

  /** Writes the descriptor with this media type instead of the compression's OCI type. */
  public Layer mediaType(String mediaType) {
    this.mediaTypeOverride = mediaType;
    return this;
  }

  public Compression compression() {
    return compression;
  }

  public List<TarEntry> entries() {
    return List.copyOf(entries);
  }

  Optional<UnaryOperator<byte[]>> blobMutation() {
    return Optional.ofNullable(blobMutation);
  }

  String mediaType() {
    return mediaTypeOverride != null ? mediaTypeOverride : compression.ociMediaType();
  }

  /** Writes the uncompressed tar. */
  public void writeTar(OutputStream out) throws IOException {
    TarWriter w = new TarWriter(out);
    for (TarEntry e : entries) {
      w.write(e);
    }
    w.raw(rawTail);
    if (endMarker) {
      w.finish();
    }
    out.flush();
  }
}
