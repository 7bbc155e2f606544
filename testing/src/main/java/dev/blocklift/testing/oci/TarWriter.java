package dev.blocklift.testing.oci;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes tar streams for fixtures, byte for byte under the test's control: ustar headers, PAX
 * records (long names, big numbers, sub-second mtimes, {@code SCHILY.xattr.*} with raw byte values)
 * or GNU long-name records, and deliberately broken entries (a declared size that differs from the
 * data written). It is a test tool: it does not guard against what it is asked to write.
 */
public final class TarWriter {
  private static final int BLOCK = 512;
  private final OutputStream out;

  public TarWriter(OutputStream out) {
    this.out = out;
  }

  public void write(TarEntry e) throws IOException {
    byte[] name = e.nameBytes();
    byte[] link = e.linkBytes();
    Map<String, byte[]> pax = new LinkedHashMap<>();
    if (!e.gnuLongNames()
        && ((name.length > 100 && !utf8(name)) || (link.length > 100 && !utf8(link)))) {
      pax.put("hdrcharset", ascii("BINARY")); // what GNU tar writes for such names
    }
    if (e.gnuLongNames()) {
      if (name.length > 100) {
        writeMeta('L', "././@LongLink", terminated(name));
      }
      if (link.length > 100) {
        writeMeta('K', "././@LongLink", terminated(link));
      }
    } else {
      if (name.length > 100) {
        pax.put("path", name);
      }
      if (link.length > 100) {
        pax.put("linkpath", link);
      }
    }
    if (e.declaredSize() > 077777777777L) {
      pax.put("size", ascii(Long.toString(e.declaredSize())));
    }
    if (e.uid() > 07777777) {
      pax.put("uid", ascii(Long.toString(e.uid())));
    }
    if (e.gid() > 07777777) {
      pax.put("gid", ascii(Long.toString(e.gid())));
    }
    if (e.mtimeNanos() != 0 || e.mtimeSeconds() < 0 || e.mtimeSeconds() > 077777777777L) {
      pax.put("mtime", ascii(paxTime(e.mtimeSeconds(), e.mtimeNanos())));
    }
    for (Map.Entry<String, byte[]> x : e.xattrs().entrySet()) {
      pax.put("SCHILY.xattr." + x.getKey(), x.getValue());
    }
    if (!pax.isEmpty()) {
      writeMeta('x', "PaxHeaders/" + tail(e.name()), paxRecords(pax));
    }
    byte[] h = new byte[BLOCK];
    putString(h, 0, 100, truncate(name, 100));
    putOctal(h, 100, 8, e.mode());
    putOctal(h, 108, 8, Math.min(e.uid(), 07777777));
    putOctal(h, 116, 8, Math.min(e.gid(), 07777777));
    putOctal(h, 124, 12, Math.min(e.declaredSize(), 077777777777L));
    putOctal(h, 136, 12, Math.max(0, Math.min(e.mtimeSeconds(), 077777777777L)));
    h[156] = (byte) e.type();
    putString(h, 157, 100, truncate(link, 100));
    putString(h, 257, 6, ascii("ustar"));
    h[263] = '0';
    h[264] = '0';
    putOctal(h, 329, 8, e.devMajor());
    putOctal(h, 337, 8, e.devMinor());
    checksum(h);
    out.write(h);
    long written = 0;
    try (InputStream in = e.data().get()) {
      byte[] buf = new byte[64 << 10];
      int n;
      while (written < e.dataLength()
          && (n = in.read(buf, 0, (int) Math.min(buf.length, e.dataLength() - written))) > 0) {
        out.write(buf, 0, n);
        written += n;
      }
    }
    pad(written);
  }

  /** Writes arbitrary bytes (for hostile fixtures). */
  public void raw(byte[] bytes) throws IOException {
    out.write(bytes);
  }

  /** Writes the two zero blocks that end an archive. */
  public void finish() throws IOException {
    out.write(new byte[2 * BLOCK]);
    out.flush();
  }

  private void writeMeta(char type, String name, byte[] data) throws IOException {
    byte[] h = new byte[BLOCK];
    putString(h, 0, 100, truncate(name.getBytes(StandardCharsets.UTF_8), 100));
    putOctal(h, 100, 8, 0644);
    putOctal(h, 124, 12, data.length);
    h[156] = (byte) type;
    putString(h, 257, 6, ascii("ustar"));
    h[263] = '0';
    h[264] = '0';
    checksum(h);
    out.write(h);
    out.write(data);
    pad(data.length);
  }

  private void pad(long length) throws IOException {
    int p = (int) ((BLOCK - (length % BLOCK)) % BLOCK);
    out.write(new byte[p]);
  }

  private static byte[] paxRecords(Map<String, byte[]> pax) {
    java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
    for (Map.Entry<String, byte[]> r : pax.entrySet()) {
      byte[] key = r.getKey().getBytes(StandardCharsets.UTF_8);
      int rest = 1 + key.length + 1 + r.getValue().length + 1; // ' ' key '=' value '\n'
      int len = rest + Integer.toString(rest).length();
      if (Integer.toString(len).length() != Integer.toString(rest).length()) {
        len = rest + Integer.toString(len).length();
      }
      b.writeBytes(ascii(len + " "));
      b.writeBytes(key);
      b.write('=');
      b.writeBytes(r.getValue());
      b.write('\n');
    }
    return b.toByteArray();
  }

  private static boolean utf8(byte[] b) {
    try {
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
          .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(b));
      return true;
    } catch (java.nio.charset.CharacterCodingException bad) {
      return false;
    }
  }

  private static String paxTime(long seconds, int nanos) {
    if (nanos == 0) {
      return Long.toString(seconds);
    }
    if (seconds < 0) {
      long s = seconds + 1;
      int n = 1_000_000_000 - nanos;
      return (s == 0 ? "-0" : Long.toString(s))
          + "."
          + String.format(java.util.Locale.ROOT, "%09d", n);
    }
    return seconds + "." + String.format(java.util.Locale.ROOT, "%09d", nanos);
  }

  private static String tail(String name) {
    String n = name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
    String t = n.substring(n.lastIndexOf('/') + 1);
    return t.length() > 80 ? t.substring(0, 80) : t;
  }

  private static byte[] terminated(byte[] b) {
    byte[] t = new byte[b.length + 1];
    System.arraycopy(b, 0, t, 0, b.length);
    return t;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] truncate(byte[] b, int max) {
    return b.length <= max ? b : java.util.Arrays.copyOf(b, max);
  }

  private static void putString(byte[] h, int off, int len, byte[] value) {
    System.arraycopy(value, 0, h, off, Math.min(len, value.length));
  }

  private static void putOctal(byte[] h, int off, int len, long value) {
    String s = Long.toOctalString(value);
    String padded = "0".repeat(Math.max(0, len - 1 - s.length())) + s;
    byte[] b = ascii(padded);
    System.arraycopy(b, 0, h, off, Math.min(b.length, len - 1));
    h[off + len - 1] = 0;
  }

  private static void checksum(byte[] h) {
    for (int i = 148; i < 156; i++) {
      h[i] = ' ';
    }
    long sum = 0;
    for (byte b : h) {
      sum += b & 0xff;
    }
    String s = String.format(java.util.Locale.ROOT, "%06o", sum);
    byte[] b = ascii(s);
    System.arraycopy(b, 0, h, 148, 6);
    h[154] = 0;
    h[155] = ' ';
  }
}
