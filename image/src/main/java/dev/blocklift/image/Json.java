package dev.blocklift.image;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.blocklift.core.CorruptDataException;
import dev.blocklift.core.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/** JSON and small-blob helpers shared by the image sources. */
final class Json {
  /** Manifests, indexes and configs larger than this are refused (they are KiBs in practice). */
  static final int MAX_METADATA_BYTES = 32 << 20;

  static final ObjectMapper MAPPER =
      JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

  private Json() {}

  /** Reads a whole small blob, refusing more than {@link #MAX_METADATA_BYTES}. */
  static byte[] readSmall(InputStream in, String what) throws IOException {
    try (in) {
      byte[] data = in.readNBytes(MAX_METADATA_BYTES + 1);
      if (data.length > MAX_METADATA_BYTES) {
        throw new CorruptDataException(
            what + " is larger than " + MAX_METADATA_BYTES + " bytes; refusing to read it");
      }
      return data;
    }
  }

  /**
   * Reads a small blob with a descriptor: never more than one byte beyond the descriptor's size (an
   * endless or lying blob fails at once), and never more than {@link #MAX_METADATA_BYTES}.
   */
  static byte[] readSmall(InputStream in, String what, long declaredSize) throws IOException {
    if (declaredSize > MAX_METADATA_BYTES) {
      in.close();
      throw new CorruptDataException(
          what
              + " has a descriptor size of "
              + declaredSize
              + " bytes, larger than the "
              + MAX_METADATA_BYTES
              + " allowed; refusing to read it");
    }
    try (in) {
      byte[] data = in.readNBytes((int) declaredSize + 1);
      if (data.length > declaredSize) {
        throw new CorruptDataException(
            what
                + " is longer than the "
                + declaredSize
                + " bytes its descriptor says; stopped reading it");
      }
      return data;
    }
  }

  /** Throws unless {@code data} has the descriptor's digest (and size, when known). */
  static void verify(byte[] data, Digest digest, long expectedSize, String what) {
    if (expectedSize >= 0 && data.length != expectedSize) {
      throw new CorruptDataException(
          what + " " + digest + " has " + data.length + " bytes, descriptor says " + expectedSize);
    }
    MessageDigest md = digest.newMessageDigest();
    Digest actual = new Digest(digest.algorithm(), dev.blocklift.core.Hex.encode(md.digest(data)));
    if (!actual.equals(digest)) {
      throw new CorruptDataException(
          what + " does not match its digest: expected " + digest + ", actual " + actual);
    }
  }

  static JsonNode parse(byte[] data, String what) {
    try {
      JsonNode n = MAPPER.readTree(data);
      if (n == null || !n.isObject()) {
        throw new CorruptDataException(what + " is not a JSON object");
      }
      return n;
    } catch (IOException e) {
      throw new CorruptDataException(
          what + " is not valid JSON: " + dev.blocklift.core.Failures.describe(e), e);
    }
  }

  static String requireText(JsonNode parent, String field, String what) {
    JsonNode n = parent.path(field);
    if (!n.isTextual()) {
      throw new CorruptDataException(what + " has no string field \"" + field + "\"");
    }
    return n.textValue();
  }

  static Descriptor descriptor(JsonNode n, String what) {
    if (!n.isObject()) {
      throw new CorruptDataException(what + " is not a descriptor object");
    }
    Digest digest;
    try {
      digest = Digest.parse(requireText(n, "digest", what));
    } catch (IllegalArgumentException e) {
      throw new CorruptDataException(what + ": " + dev.blocklift.core.Failures.describe(e), e);
    }
    JsonNode size = n.path("size");
    if (!size.canConvertToLong() || size.longValue() < 0) {
      throw new CorruptDataException(what + " has no valid size: " + size);
    }
    return new Descriptor(n.path("mediaType").asText(""), digest, size.longValue());
  }
}
