package dev.blocklift.flatten.demo;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A minimal, deterministic ustar writer for the demo image: regular files, directories, symlinks,
 * hard links, character devices; names under 100 bytes. Not a general tar library.
 */
final class TarBuilder {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final long mtime;

  TarBuilder(long mtime) {
    this.mtime = mtime;
  }

  TarBuilder dir(String name, int mode) {
    return header(name, '5', mode, 0, "", 0, 0);
  }

  TarBuilder file(String name, int mode, byte[] data) {
    header(name, '0', mode, data.length, "", 0, 0);
    out.writeBytes(data);
    out.writeBytes(new byte[(512 - data.length % 512) % 512]);
    return this;
  }

  TarBuilder file(String name, int mode, String text) {
    return file(name, mode, text.getBytes(StandardCharsets.UTF_8));
  }

  TarBuilder symlink(String name, String target) {
    return header(name, '2', 0777, 0, target, 0, 0);
  }

  TarBuilder hardLink(String name, String target) {
    return header(name, '1', 0644, 0, target, 0, 0);
  }

  TarBuilder charDevice(String name, int mode, int major, int minor) {
    return header(name, '3', mode, 0, "", major, minor);
  }

  byte[] finish() {
    out.writeBytes(new byte[1024]);
    return out.toByteArray();
  }

  private TarBuilder header(
      String name, char type, int mode, long size, String link, int major, int minor) {
    byte[] h = new byte[512];
    put(h, 0, 100, name);
    octal(h, 100, 8, mode);
    octal(h, 108, 8, 0);
    octal(h, 116, 8, 0);
    octal(h, 124, 12, size);
    octal(h, 136, 12, mtime);
    h[156] = (byte) type;
    put(h, 157, 100, link);
    put(h, 257, 6, "ustar");
    put(h, 263, 2, "00");
    put(h, 265, 32, "root");
    put(h, 297, 32, "root");
    octal(h, 329, 8, major);
    octal(h, 337, 8, minor);
    for (int i = 148; i < 156; i++) {
      h[i] = ' ';
    }
    int sum = 0;
    for (byte b : h) {
      sum += b & 0xFF;
    }
    octal(h, 148, 7, sum);
    out.writeBytes(h);
    return this;
  }

  private static void put(byte[] h, int at, int len, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    if (b.length > len) {
      throw new IllegalArgumentException("tar field too long: " + s);
    }
    System.arraycopy(b, 0, h, at, b.length);
  }

  private static void octal(byte[] h, int at, int len, long value) {
    String s = Long.toOctalString(value);
    String padded = "0".repeat(len - 1 - s.length()) + s;
    put(h, at, len - 1, padded);
  }
}
