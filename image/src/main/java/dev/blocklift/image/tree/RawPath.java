package dev.blocklift.image.tree;

import dev.blocklift.core.Hex;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A path or link target as a tar header carries it: raw bytes, not text (GNU tar writes names that
 * are not UTF-8 as they are, PAX records with {@code hdrcharset=BINARY}). Valid: no NUL byte and at
 * most {@value #MAX_BYTES} bytes, so that with its terminating NUL it fits Linux's PATH_MAX of
 * 4096, which is also ext4's limit on a symlink's target. May be empty (a header without a link).
 */
public final class RawPath {
  /** PATH_MAX (4096) less the terminating NUL. */
  public static final int MAX_BYTES = 4095;

  public static final RawPath EMPTY = new RawPath(new byte[0]);

  private final byte[] bytes;

  private RawPath(byte[] bytes) {
    this.bytes = bytes;
  }

  /** The path with these bytes; throws {@link InvalidNameException} naming a bad one. */
  public static RawPath of(byte[] bytes) {
    check(bytes);
    return bytes.length == 0 ? EMPTY : new RawPath(bytes.clone());
  }

  /** The path whose bytes are the UTF-8 encoding of {@code text} (hand-built trees, tests). */
  public static RawPath of(String text) {
    byte[] b = ByteText.utf8(text);
    check(b);
    return b.length == 0 ? EMPTY : new RawPath(b);
  }

  private static void check(byte[] b) {
    if (b.length > MAX_BYTES) {
      throw new InvalidNameException(
          "path longer than PATH_MAX ("
              + b.length
              + " bytes, at most "
              + MAX_BYTES
              + " plus its NUL): \""
              + Hex.abbreviate(ByteText.display(b))
              + "\"");
    }
    for (byte x : b) {
      if (x == 0) {
        throw new InvalidNameException(
            "path with a NUL byte: \"" + Hex.abbreviate(ByteText.display(b)) + "\"");
      }
    }
  }

  /** The bytes (a copy). */
  public byte[] bytes() {
    return bytes.clone();
  }

  public int length() {
    return bytes.length;
  }

  public boolean isEmpty() {
    return bytes.length == 0;
  }

  /** Whether the path starts with {@code /}. */
  public boolean isAbsolute() {
    return bytes.length > 0 && bytes[0] == '/';
  }

  /** Whether the path ends with {@code /}. */
  public boolean endsWithSlash() {
    return bytes.length > 0 && bytes[bytes.length - 1] == '/';
  }

  /**
   * The components between slashes, in order, as raw bytes: empty components (from {@code //} or a
   * leading or trailing slash), {@code .} and {@code ..} included.
   */
  public List<byte[]> components() {
    List<byte[]> out = new ArrayList<>();
    int from = 0;
    for (int i = 0; i <= bytes.length; i++) {
      if (i == bytes.length || bytes[i] == '/') {
        out.add(Arrays.copyOfRange(bytes, from, i));
        from = i + 1;
      }
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RawPath p && Arrays.equals(bytes, p.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  /** The path for messages: its UTF-8 text, bytes that are not UTF-8 as {@code \xNN}. */
  @Override
  public String toString() {
    return ByteText.display(bytes);
  }
}
