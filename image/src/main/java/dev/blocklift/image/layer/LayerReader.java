package dev.blocklift.image.layer;

import dev.blocklift.core.CorruptDataException;
import dev.blocklift.core.Digest;
import dev.blocklift.core.Failures;
import dev.blocklift.image.Descriptor;
import dev.blocklift.image.ImageSource;
import dev.blocklift.image.LimitExceededException;
import dev.blocklift.image.LoadLimits;
import java.io.IOException;
import java.util.function.LongConsumer;

/**
 * Streams one layer's entries with verification: every header the tar reader yields is passed to
 * the handler with its ordinal (the {@code entryIndex} of {@code ContentRef}), then the blob
 * digest, size and diff_id are checked. Any failure becomes a {@link CorruptDataException} naming
 * the layer and the entry; if the stream broke and the blob is also longer than its descriptor or
 * its digest is wrong, that is reported (it is the root cause). The digest checks after the last
 * entry name what they checked (blob digest or diff_id), the expected and the actual digest.
 */
public final class LayerReader {
  /** Receives each entry; {@code reader.data()} streams the current entry's bytes. */
  @FunctionalInterface
  public interface EntryHandler {
    void entry(long entryIndex, TarHeader header, TarReader reader) throws IOException;
  }

  private LayerReader() {}

  /**
   * {@link #read(ImageSource, int, Descriptor, Digest, LongConsumer, EntryHandler, LoadLimits)}
   * with the default limits.
   */
  public static long[] read(
      ImageSource source,
      int layerIndex,
      Descriptor descriptor,
      Digest diffId,
      LongConsumer onRawBytes,
      EntryHandler handler)
      throws IOException {
    return read(source, layerIndex, descriptor, diffId, onRawBytes, handler, LoadLimits.defaults());
  }

  /** Returns the number of entries and uncompressed bytes read. */
  public static long[] read(
      ImageSource source,
      int layerIndex,
      Descriptor descriptor,
      Digest diffId,
      LongConsumer onRawBytes,
      EntryHandler handler,
      LoadLimits limits)
      throws IOException {
    try (LayerStream stream =
        LayerStream.open(source, layerIndex, descriptor, diffId, onRawBytes)) {
      TarReader tar = new TarReader(stream.tar(), limits.maxHeaderBytes());
      long index = 0;
      TarHeader h = null;
      TarHeader previous = null;
      try {
        while (true) {
          // A failure inside next() happens while skipping the previous entry's data (or in
          // the next header): name the previous entry then.
          TarHeader next = tar.next();
          if (next == null) {
            break;
          }
          h = next;
          handler.entry(index, h, tar);
          previous = h;
          h = null;
          index++;
        }
        stream.drain();
      } catch (IOException | RuntimeException e) {
        String where =
            h != null
                ? LayerErrors.where(layerIndex, descriptor, index, h)
                : previous != null
                    ? LayerErrors.where(layerIndex, descriptor, index - 1, previous)
                        + " or the header after it"
                    : LayerErrors.where(layerIndex, descriptor, -1, null);
        if (!(e instanceof LayerStreamException)) {
          where += " at byte " + stream.uncompressedBytes() + " of the uncompressed tar";
        }
        if (e instanceof LimitExceededException limit) {
          throw new LimitExceededException(where, limit); // the cause is known: no need to read on
        }
        String blobFailure = stream.blobFailureAfter();
        if (blobFailure != null) {
          throw new CorruptDataException(
              blobFailure + " (" + where + ": " + Failures.describe(e) + ")", e);
        }
        throw LayerErrors.wrap(where, e);
      }
      // Complete messages of their own: what was checked, the expected and the actual value.
      stream.verify();
      return new long[] {index, stream.uncompressedBytes()};
    }
  }
}
