package dev.blocklift.chunk;

import java.util.Optional;

/**
 * One chunk of a device image as read by a {@link Chunker}: its index and, unless it is a hole (all
 * zeros), its plaintext. The plaintext array is exactly the chunk's length (the last chunk of a
 * device may be shorter than the chunk size) and is owned by the receiver.
 */
@SuppressWarnings("ArrayRecordComponent") // the plaintext is handed over, not shared
public record Chunk(int index, long offset, int length, byte[] plaintext) {
  public Chunk {
    if (plaintext != null && plaintext.length != length) {
      throw new IllegalArgumentException(
          "chunk " + index + " length " + length + " but " + plaintext.length + " bytes");
    }
  }

  public static Chunk hole(int index, long offset, int length) {
    return new Chunk(index, offset, length, null);
  }

  public boolean isHole() {
    return plaintext == null;
  }

  public Optional<byte[]> data() {
    return Optional.ofNullable(plaintext);
  }
}
