package dev.blocklift.image.layer;

import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.CorruptDataException;
import dev.blocklift.core.Hex;
import dev.blocklift.image.Descriptor;
import java.io.IOException;

/** Builds the messages that name the layer and the entry a failure happened at. */
public final class LayerErrors {
  private LayerErrors() {}

  public static String where(int layerIndex, Descriptor d, long entryIndex, TarHeader h) {
    return "layer "
        + layerIndex
        + " ("
        + d.digest()
        + ")"
        + (h == null
            ? (entryIndex >= 0 ? " after entry #" + (entryIndex - 1) : "")
            : " entry #" + entryIndex + " \"" + Hex.abbreviate(h.name()) + "\"");
  }

  /** Wraps a failure while reading or applying a layer into a CorruptDataException with context. */
  public static RuntimeException wrap(String where, Exception e) {
    if (e instanceof CorruptDataException c && c.getMessage().startsWith("layer ")) {
      return c;
    }
    String kind = e instanceof IOException ? "corrupt or truncated layer stream: " : "";
    if (e instanceof BlockliftException && !(e instanceof CorruptDataException)) {
      return new BlockliftException(where + ": " + e.getMessage(), e);
    }
    return new CorruptDataException(where + ": " + kind + e.getMessage(), e);
  }
}
