package dev.blocklift.image.layer;

import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.CorruptDataException;
import dev.blocklift.core.Failures;
import dev.blocklift.core.Hex;
import dev.blocklift.image.Descriptor;
import dev.blocklift.image.LimitExceededException;
import java.io.IOException;

/** Builds the messages that name the layer and the entry a failure happened at. */
public final class LayerErrors {
  private LayerErrors() {}

  /** {@code layer N (DIGEST)}: how every message names a layer. */
  public static String layer(int layerIndex, Descriptor d) {
    return "layer " + layerIndex + " (" + d.digest() + ")";
  }

  public static String where(int layerIndex, Descriptor d, long entryIndex, TarHeader h) {
    return layer(layerIndex, d)
        + (h == null
            ? (entryIndex >= 0 ? " after entry #" + (entryIndex - 1) : "")
            : " entry #" + entryIndex + " \"" + Hex.abbreviate(h.name().toString()) + "\"");
  }

  /** Wraps a failure while reading or applying a layer into a CorruptDataException with context. */
  public static RuntimeException wrap(String where, Exception e) {
    String detail = Failures.describe(e);
    if (e instanceof CorruptDataException c && detail.startsWith("layer ")) {
      return c;
    }
    if (e instanceof LimitExceededException limit) {
      return new LimitExceededException(where, limit);
    }
    if (e instanceof LayerStreamException s) {
      return s.corrupt()
          ? new CorruptDataException(where + ": " + s.detail(), e)
          : new BlockliftException(where + ": " + s.detail(), e);
    }
    String kind = e instanceof IOException ? "corrupt or truncated layer stream: " : "";
    if (e instanceof BlockliftException && !(e instanceof CorruptDataException)) {
      return new BlockliftException(where + ": " + detail, e);
    }
    return new CorruptDataException(where + ": " + kind + detail, e);
  }
}
