package dev.blocklift.image.tree;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** Byte strings (names, paths) shown in messages, and text turned into them strictly. */
final class ByteText {
  private ByteText() {}

  /**
   * The bytes as text for messages: the UTF-8 text when they are valid UTF-8, else each valid
   * sequence as its character and every other byte as {@code \xNN} (never U+FFFD, so two distinct
   * names never look alike).
   */
  static String display(byte[] bytes) {
    CharsetDecoder strict =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    try {
      return strict.decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException invalid) {
      StringBuilder out = new StringBuilder();
      ByteBuffer in = ByteBuffer.wrap(bytes);
      CharBuffer chars = CharBuffer.allocate(bytes.length + 1);
      strict.reset();
      while (in.hasRemaining()) {
        var result = strict.decode(in, chars, true);
        chars.flip();
        out.append(chars);
        chars.clear();
        if (result.isError()) {
          for (int i = 0; i < result.length(); i++) {
            out.append(String.format(Locale.ROOT, "\\x%02x", in.get() & 0xff));
          }
        } else if (result.isUnderflow()) {
          break;
        }
      }
      return out.toString();
    }
  }

  /** The UTF-8 bytes of {@code text}; an unpaired surrogate is an error, not a '?'. */
  static byte[] utf8(String text) {
    CharsetEncoder strict =
        StandardCharsets.UTF_8
            .newEncoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    try {
      ByteBuffer b = strict.encode(CharBuffer.wrap(text));
      byte[] out = new byte[b.remaining()];
      b.get(out);
      return out;
    } catch (CharacterCodingException e) {
      throw new InvalidNameException("not valid Unicode text (an unpaired surrogate): " + text);
    }
  }
}
