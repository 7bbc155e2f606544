package dev.blocklift.flatten;

import dev.blocklift.core.Digest;
import dev.blocklift.core.Hex;
import dev.blocklift.core.Platform;
import dev.blocklift.image.Descriptor;
import dev.blocklift.image.ImageSource;
import dev.blocklift.image.MediaTypes;
import dev.blocklift.image.ResolvedImage;
import dev.blocklift.testing.GeneratedStreams;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * An image of uncompressed layers whose bytes are generated as they are read (huge, hostile, or
 * mutated in memory), so no test input sits on disk. Counts the blob bytes read.
 */
final class GeneratedImage implements ImageSource {
  private final List<Descriptor> layers = new ArrayList<>();
  private final List<Digest> diffIds = new ArrayList<>();
  private final List<Supplier<InputStream>> blobs = new ArrayList<>();
  private final AtomicLong served = new AtomicLong();

  /** Uncompressed layers with their true digests and sizes (each stream is read once for them). */
  static GeneratedImage of(List<Supplier<InputStream>> tars) {
    return of(MediaTypes.OCI_LAYER, tars);
  }

  /**
   * Layers of {@code mediaType} with their true blob digests and sizes; the diff_id is the blob
   * digest, which is right for uncompressed layers only.
   */
  static GeneratedImage of(String mediaType, List<Supplier<InputStream>> tars) {
    GeneratedImage img = new GeneratedImage();
    for (Supplier<InputStream> tar : tars) {
      MessageDigest md = dev.blocklift.core.Sha256.newDigest();
      long size = 0;
      try (InputStream in = tar.get()) {
        byte[] buf = new byte[1 << 16];
        int n;
        while ((n = in.read(buf)) > 0) {
          md.update(buf, 0, n);
          size += n;
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Digest d = Digest.sha256Hex(Hex.encode(md.digest()));
      img.add(new Descriptor(mediaType, d, size), d, tar);
    }
    return img;
  }

  /** One layer whose digests are never right: for inputs that must fail before the end. */
  static GeneratedImage unverified(Supplier<InputStream> tar) {
    GeneratedImage img = new GeneratedImage();
    Digest fake = Digest.sha256(new byte[] {7});
    img.add(new Descriptor(MediaTypes.OCI_LAYER, fake, Long.MAX_VALUE / 2), fake, tar);
    return img;
  }

  private void add(Descriptor d, Digest diffId, Supplier<InputStream> blob) {
    layers.add(d);
    diffIds.add(diffId);
    blobs.add(blob);
  }

  long served() {
    return served.get();
  }

  @Override
  public ResolvedImage resolve(Platform platform) {
    StringBuilder ids = new StringBuilder();
    for (Digest d : diffIds) {
      ids.append(ids.isEmpty() ? "" : ",").append('"').append(d).append('"');
    }
    byte[] json =
        ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2024-01-01T00:00:00Z\","
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":["
                + ids
                + "]}}")
            .getBytes(StandardCharsets.UTF_8);
    return new ResolvedImage(Digest.sha256(json), json, layers, diffIds);
  }

  @Override
  public InputStream openBlob(Descriptor blob) {
    int i = layers.indexOf(blob);
    if (i < 0) {
      throw new IllegalArgumentException("no blob " + blob.digest());
    }
    return GeneratedStreams.counted(blobs.get(i).get(), served);
  }

  @Override
  public String describe() {
    return "generated image";
  }
}
