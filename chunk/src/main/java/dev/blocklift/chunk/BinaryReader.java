package dev.blocklift.chunk;

import dev.blocklift.core.CorruptDataException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Strict big-endian reader: every short read or bad length names the field it was reading. */
final class BinaryReader {
  private final ByteBuffer buf;
  private final String what;

  BinaryReader(byte[] data, int offset, int length, String what) {
    this.buf = ByteBuffer.wrap(data, offset, length).slice();
    this.what = what;
  }

  int position() {
    return buf.position();
  }

  int remaining() {
    return buf.remaining();
  }

  CorruptDataException bad(String field, String why) {
    return new CorruptDataException(
        what + ": field " + field + " at offset " + buf.position() + " " + why);
  }

  private void need(int n, String field) {
    if (n < 0 || buf.remaining() < n) {
      throw bad(field, "is truncated (needs " + n + " bytes, " + buf.remaining() + " left)");
    }
  }

  int u8(String field) {
    need(1, field);
    return buf.get() & 0xff;
  }

  int u16(String field) {
    need(2, field);
    return buf.getShort() & 0xffff;
  }

  /** An unsigned 32-bit value that must fit an int (at most {@code max}). */
  int u32(String field, int max) {
    need(4, field);
    long v = buf.getInt() & 0xffffffffL;
    if (v > max) {
      throw bad(field, "is " + v + ", more than the maximum " + max);
    }
    return (int) v;
  }

  long u64(String field) {
    need(8, field);
    long v = buf.getLong();
    if (v < 0) {
      throw bad(field, "is negative or too large: " + Long.toUnsignedString(v));
    }
    return v;
  }

  byte[] bytes(int n, String field) {
    need(n, field);
    byte[] b = new byte[n];
    buf.get(b);
    return b;
  }

  /** A u16-length-prefixed UTF-8 string, rejecting malformed UTF-8. */
  String string16(String field) {
    int n = u16(field + " length");
    byte[] b = bytes(n, field);
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(b))
          .toString();
    } catch (CharacterCodingException e) {
      throw bad(field, "is not valid UTF-8");
    }
  }

  void expectEnd(String field) {
    if (buf.hasRemaining()) {
      throw bad(field, "is followed by " + buf.remaining() + " unexpected trailing bytes");
    }
  }
}
