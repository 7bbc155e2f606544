package dev.blocklift.image;

import dev.blocklift.core.Digest;
import dev.blocklift.core.Platform;
import dev.blocklift.testing.GeneratedStreams;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A one-layer image whose layer blob is generated on the fly (endless, huge, hostile), with the
 * descriptor the test chooses. Counts the bytes the reader pulled from the blob.
 */
final class SyntheticSource implements ImageSource {
  private final Descriptor layer;
  private final Digest diffId;
  private final Supplier<InputStream> blob;
  private final AtomicLong served = new AtomicLong();

  SyntheticSource(
      String mediaType, Digest digest, long size, Digest diffId, Supplier<InputStream> blob) {
    this.layer = new Descriptor(mediaType, digest, size);
    this.diffId = diffId;
    this.blob = blob;
  }

  /** Bytes read from the blob so far. */
  long served() {
    return served.get();
  }

  @Override
  public ResolvedImage resolve(Platform platform) {
    String config =
        "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
            + "\"diff_ids\":[\""
            + diffId
            + "\"]}}";
    byte[] json = config.getBytes(StandardCharsets.UTF_8);
    return new ResolvedImage(Digest.sha256(json), json, List.of(layer), List.of(diffId));
  }

  @Override
  public InputStream openBlob(Descriptor d) {
    return GeneratedStreams.counted(blob.get(), served);
  }

  @Override
  public String describe() {
    return "synthetic";
  }
}
