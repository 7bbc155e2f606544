package dev.blocklift.image.layer;

import dev.blocklift.core.CorruptDataException;
import dev.blocklift.image.LimitExceededException;
import dev.blocklift.image.LoadLimits;
import dev.blocklift.image.tree.RawPath;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;

/**
 * A streaming tar reader (ustar, POSIX pax, GNU long names), written for layers: it never buffers
 * entry data, keeps PAX values as raw bytes (so binary xattrs such as {@code security.capability}
 * survive), and treats every oddity of hostile input as a {@link CorruptDataException} or a
 * documented rule instead of guessing. Names and link targets are kept as the header's bytes. Like
 * Go's archive/tar (which umoci and docker use): links, devices, directories and fifos carry no
 * data whatever their size field says; an end of stream at a header boundary ends the archive like
 * the two zero blocks do; global PAX headers ({@code g}) are consumed and ignored; GNU sparse files
 * are refused.
 */
public final class TarReader {
  private static final int BLOCK = 512;

  private final InputStream in;
  private final long maxHeaderBytes;
  private final byte[] block = new byte[BLOCK];
  private long remaining;
  private long padding;
  private boolean ended;

  /** A reader with the default limit on header records ({@link LoadLimits#defaults()}). */
  public TarReader(InputStream in) {
    this(in, LoadLimits.DEFAULT_MAX_HEADER_BYTES);
  }

  /**
   * @param maxHeaderBytes the most data one PAX header or GNU long-name record may have; a larger
   *     one fails before its data is read ({@link LoadLimits#maxHeaderBytes()})
   */
  public TarReader(InputStream in, long maxHeaderBytes) {
    this.in = in;
    this.maxHeaderBytes = maxHeaderBytes;
  }

  /** The next entry, or null at the end of the archive. Skips what is left of the previous one. */
  public TarHeader next() throws IOException {
    if (ended) {
      return null;
    }
    skipRest();
    byte[] longName = null;
    byte[] longLink = null;
    Map<String, byte[]> pax = null;
    while (true) {
      if (!readBlock()) {
        ended = true;
        return null;
      }
      if (isZero(block)) {
        ended = true;
        return null;
      }
      verifyChecksum();
      char type = (char) (block[156] & 0xff);
      long size = number(124, 12, "size");
      if (size < 0) {
        throw new CorruptDataException("tar header has a negative size " + size);
      }
      switch (type) {
        case 'x' -> {
          pax = parsePax(readMeta(size, "pax header"));
          continue;
        }
        case 'g' -> {
          readMeta(size, "global pax header");
          continue;
        }
        case 'L' -> {
          longName = cString(readMeta(size, "GNU long name"));
          continue;
        }
        case 'K' -> {
          longLink = cString(readMeta(size, "GNU long link"));
          continue;
        }
        case 'S' ->
            throw new CorruptDataException(
                "GNU sparse tar entries are not supported (entry \""
                    + RawPath.of(rawName())
                    + "\")");
        default -> {}
      }
      return header(type, size, longName, longLink, pax == null ? Map.of() : pax);
    }
  }

  private TarHeader header(
      char rawType, long headerSize, byte[] longName, byte[] longLink, Map<String, byte[]> pax)
      throws IOException {
    // Names are bytes, whatever their encoding: PAX says UTF-8, but GNU tar writes names that are
    // not UTF-8 as they are (with hdrcharset=BINARY), and ustar and GNU fields have no encoding.
    byte[] name = longName != null ? longName : rawName();
    byte[] link = longLink != null ? longLink : field(157, 100);
    long uid = number(108, 8, "uid");
    long gid = number(116, 8, "gid");
    long size = headerSize;
    long mtime = number(136, 12, "mtime");
    int nanos = 0;
    TreeMap<String, byte[]> xattrs = new TreeMap<>();
    for (Map.Entry<String, byte[]> e : pax.entrySet()) {
      String key = e.getKey();
      byte[] value = e.getValue();
      String text = new String(value, StandardCharsets.UTF_8);
      switch (key) {
        case "path" -> name = value;
        case "linkpath" -> link = value;
        case "hdrcharset" -> {} // bytes stay bytes, whichever charset the header claims
        case "size" -> size = paxLong(key, text);
        case "uid" -> uid = paxLong(key, text);
        case "gid" -> gid = paxLong(key, text);
        case "mtime" -> {
          long[] t = paxTime(text);
          mtime = t[0];
          nanos = (int) t[1];
        }
        default -> {
          if (key.startsWith("SCHILY.xattr.")) {
            xattrs.put(key.substring("SCHILY.xattr.".length()), value);
          } else if (key.startsWith("LIBARCHIVE.xattr.")) {
            String xname =
                java.net.URLDecoder.decode(
                    key.substring("LIBARCHIVE.xattr.".length()), StandardCharsets.UTF_8);
            try {
              xattrs.putIfAbsent(xname, Base64.getDecoder().decode(text.replace("=", "")));
            } catch (IllegalArgumentException bad) {
              throw new CorruptDataException("bad base64 in pax record " + key, bad);
            }
          } else if (key.startsWith("GNU.sparse.")) {
            throw new CorruptDataException(
                "GNU sparse tar entries are not supported (entry \"" + RawPath.of(name) + "\")");
          }
        }
      }
    }
    RawPath path = RawPath.of(name);
    RawPath linkPath = RawPath.of(link);
    if (size < 0) {
      throw new CorruptDataException("entry \"" + path + "\" has a negative size " + size);
    }
    char type = rawType;
    if (type == '\0' || type == '7') {
      type = TarHeader.REGULAR;
    }
    if (type == TarHeader.REGULAR && path.endsWithSlash()) {
      type = TarHeader.DIRECTORY;
    }
    long dataSize =
        switch (type) {
          case TarHeader.HARDLINK,
              TarHeader.SYMLINK,
              TarHeader.CHAR_DEVICE,
              TarHeader.BLOCK_DEVICE,
              TarHeader.DIRECTORY,
              TarHeader.FIFO ->
              0;
          default -> size;
        };
    long major = 0;
    long minor = 0;
    if (type == TarHeader.CHAR_DEVICE || type == TarHeader.BLOCK_DEVICE) {
      major = number(329, 8, "devmajor");
      minor = number(337, 8, "devminor");
    }
    remaining = dataSize;
    padding = (BLOCK - (dataSize % BLOCK)) % BLOCK;
    return new TarHeader(
        path,
        type,
        number(100, 8, "mode"),
        uid,
        gid,
        dataSize,
        mtime,
        nanos,
        linkPath,
        major,
        minor,
        xattrs);
  }

  /**
   * The current entry's data, ending after its size; valid until the next call of {@link #next}. A
   * stream that ends before the size is reached throws {@link EOFException}.
   */
  public InputStream data() {
    return new InputStream() {
      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (remaining == 0) {
          return -1;
        }
        if (len == 0) {
          return 0;
        }
        int n = in.read(b, off, (int) Math.min(len, remaining));
        if (n < 0) {
          throw new EOFException(
              "tar stream ends " + remaining + " bytes before the end of the entry's data");
        }
        remaining -= n;
        return n;
      }

      @Override
      public long skip(long n) throws IOException {
        return skipBytes(Math.min(n, remaining), true);
      }
    };
  }

  private void skipRest() throws IOException {
    skipBytes(remaining, true);
    skipBytes(padding, false);
    padding = 0;
  }

  private final byte[] skipBuffer = new byte[64 << 10];

  private long skipBytes(long n, boolean data) throws IOException {
    long done = 0;
    while (done < n) {
      int r = in.read(skipBuffer, 0, (int) Math.min(skipBuffer.length, n - done));
      if (r < 0) {
        throw new EOFException(
            "tar stream ends " + (n - done) + " bytes before the end of an entry");
      }
      done += r;
      if (data) {
        remaining -= r;
      }
    }
    return done;
  }

  private boolean readBlock() throws IOException {
    int n = in.readNBytes(block, 0, BLOCK);
    if (n == 0) {
      return false;
    }
    if (n < BLOCK) {
      throw new EOFException("tar stream ends inside a header block (" + n + " of 512 bytes)");
    }
    return true;
  }

  private byte[] readMeta(long size, String what) throws IOException {
    if (size > maxHeaderBytes) {
      throw new LimitExceededException(
          "a " + what + " of " + size + " bytes", "LoadLimits.maxHeaderBytes", maxHeaderBytes);
    }
    byte[] data = in.readNBytes((int) size);
    if (data.length < size) {
      throw new EOFException("tar stream ends inside a " + what);
    }
    long pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (in.readNBytes((int) pad).length < pad) {
      throw new EOFException("tar stream ends inside a " + what);
    }
    return data;
  }

  private static boolean isZero(byte[] b) {
    for (byte x : b) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }

  private void verifyChecksum() {
    long unsigned = 0;
    long signed = 0;
    for (int i = 0; i < BLOCK; i++) {
      int v = (i >= 148 && i < 156) ? ' ' : block[i];
      unsigned += v & 0xff;
      signed += (i >= 148 && i < 156) ? ' ' : block[i];
    }
    long stored;
    try {
      stored = number(148, 8, "checksum");
    } catch (CorruptDataException e) {
      throw new CorruptDataException("not a tar header (unreadable checksum field)", e);
    }
    if (stored != unsigned && stored != signed) {
      throw new CorruptDataException(
          "tar header checksum mismatch (stored " + stored + ", computed " + unsigned + ")");
    }
  }

  /** The ustar name: prefix, '/', name (the prefix only in POSIX ustar headers). */
  private byte[] rawName() {
    byte[] name = field(0, 100);
    boolean posix =
        block[257] == 'u'
            && block[258] == 's'
            && block[259] == 't'
            && block[260] == 'a'
            && block[261] == 'r'
            && block[262] == 0;
    if (posix) {
      byte[] prefix = field(345, 155);
      if (prefix.length > 0) {
        byte[] full = java.util.Arrays.copyOf(prefix, prefix.length + 1 + name.length);
        full[prefix.length] = '/';
        System.arraycopy(name, 0, full, prefix.length + 1, name.length);
        return full;
      }
    }
    return name;
  }

  /** A header field's bytes up to its first NUL. */
  private byte[] field(int off, int len) {
    int end = off;
    while (end < off + len && block[end] != 0) {
      end++;
    }
    return java.util.Arrays.copyOfRange(block, off, end);
  }

  /**
   * A numeric field as text for messages: all its bytes (trailing NULs and spaces dropped), bytes
   * outside printable ASCII as {@code \xNN}, so a NUL in the middle does not hide the rest.
   */
  private String fieldText(int off, int len) {
    int end = off + len;
    while (end > off && (block[end - 1] == 0 || block[end - 1] == ' ')) {
      end--;
    }
    StringBuilder b = new StringBuilder();
    for (int i = off; i < end; i++) {
      int c = block[i] & 0xff;
      if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
        b.append((char) c);
      } else {
        b.append(String.format(java.util.Locale.ROOT, "\\x%02x", c));
      }
    }
    return b.toString();
  }

  /** A GNU long name or link: its bytes up to the first NUL. */
  private static byte[] cString(byte[] data) {
    int end = 0;
    while (end < data.length && data[end] != 0) {
      end++;
    }
    return java.util.Arrays.copyOf(data, end);
  }

  /** An octal or base-256 numeric field. */
  private long number(int off, int len, String what) {
    if ((block[off] & 0x80) != 0) {
      byte[] raw = java.util.Arrays.copyOfRange(block, off, off + len);
      // base-256: bit 7 of the first byte flags the encoding, bit 6 is the two's-complement sign
      raw[0] = (byte) ((raw[0] & 0x40) != 0 ? raw[0] | 0x80 : raw[0] & 0x7f);
      java.math.BigInteger v = new java.math.BigInteger(raw);
      if (v.bitLength() > 63) {
        throw new CorruptDataException("tar " + what + " field overflows 64 bits");
      }
      return v.longValue();
    }
    long v = 0;
    int i = off;
    int end = off + len;
    while (i < end && (block[i] == ' ' || block[i] == 0)) {
      i++;
    }
    for (; i < end; i++) {
      byte b = block[i];
      if (b == 0 || b == ' ') {
        break;
      }
      if (b < '0' || b > '7') {
        throw new CorruptDataException(
            "tar " + what + " field is not octal: \"" + fieldText(off, len) + "\"");
      }
      if (v > (Long.MAX_VALUE >> 3)) {
        throw new CorruptDataException("tar " + what + " field overflows 64 bits");
      }
      v = (v << 3) | (b - '0');
    }
    return v;
  }

  private static Map<String, byte[]> parsePax(byte[] data) {
    Map<String, byte[]> out = new TreeMap<>();
    int pos = 0;
    while (pos < data.length) {
      if (data[pos] == 0) {
        break;
      }
      int space = pos;
      long len = 0;
      while (space < data.length && data[space] != ' ') {
        byte b = data[space];
        if (b < '0' || b > '9' || len > data.length) {
          throw new CorruptDataException("malformed pax record length at byte " + pos);
        }
        len = len * 10 + (b - '0');
        space++;
      }
      long end = pos + len;
      if (space >= data.length || len <= 0 || end > data.length || data[(int) end - 1] != '\n') {
        throw new CorruptDataException("malformed pax record at byte " + pos);
      }
      int eq = space + 1;
      while (eq < end && data[eq] != '=') {
        eq++;
      }
      if (eq >= end) {
        throw new CorruptDataException("pax record without '=' at byte " + pos);
      }
      String key = new String(data, space + 1, eq - space - 1, StandardCharsets.UTF_8);
      byte[] value = java.util.Arrays.copyOfRange(data, eq + 1, (int) end - 1);
      out.put(key, value);
      pos = (int) end;
    }
    return out;
  }

  private static long paxLong(String key, String text) {
    try {
      return Long.parseLong(text.trim());
    } catch (NumberFormatException e) {
      throw new CorruptDataException("pax record " + key + " is not a number: \"" + text + "\"", e);
    }
  }

  /** A pax time {@code [-]SECONDS[.FRACTION]} as seconds and nanoseconds (floor semantics). */
  static long[] paxTime(String text) {
    String t = text.trim();
    int dot = t.indexOf('.');
    String whole = dot < 0 ? t : t.substring(0, dot);
    String frac = dot < 0 ? "" : t.substring(dot + 1);
    try {
      boolean negative = whole.startsWith("-");
      long seconds = Long.parseLong(whole);
      String nineDigits = (frac + "000000000").substring(0, 9);
      if (!nineDigits.chars().allMatch(c -> c >= '0' && c <= '9')) {
        throw new NumberFormatException(frac);
      }
      long nanos = Long.parseLong(nineDigits);
      if (negative && nanos > 0) {
        seconds -= 1;
        nanos = 1_000_000_000L - nanos;
      }
      return new long[] {seconds, nanos};
    } catch (NumberFormatException e) {
      throw new CorruptDataException("pax mtime is not a time: \"" + text + "\"", e);
    }
  }
}
