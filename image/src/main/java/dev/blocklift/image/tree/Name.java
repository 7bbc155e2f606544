package dev.blocklift.image.tree;

import dev.blocklift.core.Hex;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * One directory-entry name as ext4 stores it: raw bytes, not text. Names come from tar headers byte
 * for byte, whatever their encoding (a name that is not UTF-8, such as {@code \xff}, is a valid
 * name distinct from every other), and go into directory blocks unchanged. Valid: 1 to {@value
 * #MAX_BYTES} bytes, no {@code /} and no NUL, not {@code .} or {@code ..}. Ordered by unsigned
 * bytes (what {@code LC_ALL=C ls} shows); equal when the bytes are.
 */
public final class Name implements Comparable<Name> {
  /** ext4's limit on one name (EXT4_NAME_LEN), in bytes. */
  public static final int MAX_BYTES = 255;

  private final byte[] bytes;

  private Name(byte[] bytes) {
    this.bytes = bytes;
  }

  /** The name with these bytes; throws {@link InvalidNameException} naming a bad one. */
  public static Name of(byte[] bytes) {
    check(bytes);
    return new Name(bytes.clone());
  }

  /** The name whose bytes are the UTF-8 encoding of {@code text} (hand-built trees, tests). */
  public static Name of(String text) {
    byte[] b = ByteText.utf8(text);
    check(b);
    return new Name(b);
  }

  private static void check(byte[] b) {
    if (b.length == 0) {
      throw new InvalidNameException("not a valid entry name: the empty name");
    }
    if ((b.length == 1 && b[0] == '.') || (b.length == 2 && b[0] == '.' && b[1] == '.')) {
      throw new InvalidNameException(
          "not a valid entry name: \"" + ByteText.display(b) + "\" (reserved)");
    }
    for (byte x : b) {
      if (x == '/' || x == 0) {
        throw new InvalidNameException(
            "not a valid entry name (a "
                + (x == 0 ? "NUL" : "'/'")
                + " byte): \""
                + Hex.abbreviate(ByteText.display(b))
                + "\"");
      }
    }
    if (b.length > MAX_BYTES) {
      throw new InvalidNameException(
          "entry name longer than "
              + MAX_BYTES
              + " bytes ("
              + b.length
              + "): \""
              + Hex.abbreviate(ByteText.display(b))
              + "\"");
    }
  }

  /** The bytes (a copy). */
  public byte[] bytes() {
    return bytes.clone();
  }

  public int length() {
    return bytes.length;
  }

  /** Whether the name starts with these ASCII characters. */
  public boolean startsWith(String ascii) {
    if (ascii.length() > bytes.length) {
      return false;
    }
    for (int i = 0; i < ascii.length(); i++) {
      if (bytes[i] != (byte) ascii.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /** Whether the name is exactly these ASCII characters. */
  public boolean is(String ascii) {
    return ascii.length() == bytes.length && startsWith(ascii);
  }

  /** The bytes after the first {@code n} (a copy; may be empty, so not always a name). */
  public byte[] bytesAfter(int n) {
    return Arrays.copyOfRange(bytes, n, bytes.length);
  }

  /** Writes the bytes at {@code at}. */
  public void writeTo(ByteBuffer b, int at) {
    b.put(at, bytes);
  }

  @Override
  public int compareTo(Name o) {
    return Arrays.compareUnsigned(bytes, o.bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Name n && Arrays.equals(bytes, n.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  /** The name for messages: its UTF-8 text, bytes that are not UTF-8 as {@code \xNN}. */
  @Override
  public String toString() {
    return ByteText.display(bytes);
  }
}
