package dev.blocklift.chunk;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Big-endian writer matching {@link BinaryReader}. */
final class BinaryWriter {
  private final ByteArrayOutputStream out;

  BinaryWriter(int sizeHint) {
    out = new ByteArrayOutputStream(sizeHint);
  }

  BinaryWriter u8(int v) {
    out.write(v);
    return this;
  }

  BinaryWriter u16(int v) {
    if (v < 0 || v > 0xffff) {
      throw new IllegalArgumentException("value does not fit 16 bits: " + v);
    }
    out.write(v >>> 8);
    out.write(v);
    return this;
  }

  BinaryWriter u32(int v) {
    if (v < 0) {
      throw new IllegalArgumentException("negative length: " + v);
    }
    out.write(v >>> 24);
    out.write(v >>> 16);
    out.write(v >>> 8);
    out.write(v);
    return this;
  }

  BinaryWriter u64(long v) {
    for (int s = 56; s >= 0; s -= 8) {
      out.write((int) (v >>> s));
    }
    return this;
  }

  BinaryWriter bytes(byte[] b) {
    out.write(b, 0, b.length);
    return this;
  }

  BinaryWriter string16(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    u16(b.length);
    return bytes(b);
  }

  byte[] toByteArray() {
    return out.toByteArray();
  }
}
