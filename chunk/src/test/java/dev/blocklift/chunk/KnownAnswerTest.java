package dev.blocklift.chunk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.blocklift.core.ChunkName;
import dev.blocklift.core.Hex;
import dev.blocklift.core.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The committed known-answer vectors (src/test/resources/kat, made by the independent Python
 * implementation generate.py there; documented in docs/chunk-format.md).
 */
class KnownAnswerTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  static JsonNode load(String file) throws IOException {
    try (InputStream in = KnownAnswerTest.class.getResourceAsStream("/kat/" + file)) {
      if (in == null) {
        throw new IOException("missing KAT resource " + file);
      }
      return JSON.readTree(in);
    }
  }

  /** SHA-256(seed ‖ u64be(i)) for i = 0, 1, ... truncated to {@code length}. */
  static byte[] stream(String seed, int length) {
    byte[] out = new byte[length];
    byte[] s = seed.getBytes(StandardCharsets.UTF_8);
    for (long i = 0, pos = 0; pos < length; i++, pos += 32) {
      var md = Sha256.newDigest();
      md.update(s);
      md.update(ByteBuffer.allocate(8).putLong(i).array());
      byte[] block = md.digest();
      System.arraycopy(block, 0, out, (int) pos, (int) Math.min(32, length - pos));
    }
    return out;
  }

  static byte[] plaintext(JsonNode spec) {
    return switch (spec.path("kind").asText()) {
      case "repeat" -> {
        byte[] p = new byte[spec.path("length").asInt()];
        Arrays.fill(p, Hex.decode(spec.path("byte").asText())[0]);
        yield p;
      }
      case "stream" -> stream(spec.path("seed").asText(), spec.path("length").asInt());
      case "utf8" -> spec.path("text").asText().getBytes(StandardCharsets.UTF_8);
      default -> throw new IllegalArgumentException("unknown plaintext kind " + spec);
    };
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "01-all-0x01-512KiB.json",
        "02-short-last-chunk.json",
        "03-random-512KiB-labelled-salt.json",
        "04-tiny.json"
      })
  void vectorMatches(String file) throws IOException {
    JsonNode v = load(file);
    byte[] p = plaintext(v.path("plaintext"));
    assertEquals(v.path("plaintextSha256").asText(), Hex.encode(Sha256.hash(p)), file);

    JsonNode scope = v.path("saltScope");
    Salt salt;
    if (scope.has("hex")) {
      salt = Salt.ofHex(scope.path("hex").asText());
    } else {
      JsonNode label = scope.path("label");
      salt =
          ServiceSecret.of(Hex.decode(scope.path("secret").asText()))
              .salt(
                  scope.path("rootId").asText(),
                  label.isNull() ? Optional.empty() : Optional.of(label.asText()));
    }
    assertEquals(v.path("salt").asText(), salt.toHex(), file + ": salt derivation");

    EncryptedChunk e = ConvergentEncryption.encrypt(salt, p);
    assertEquals(v.path("key").asText(), e.key().toHex(), file + ": key");
    assertEquals(v.path("ciphertextLength").asInt(), e.ciphertext().length, file + ": length");
    assertEquals(
        v.path("ciphertextHead").asText(),
        Hex.encode(Arrays.copyOf(e.ciphertext(), 32)),
        file + ": first ciphertext bytes");
    assertEquals(
        v.path("tag").asText(),
        Hex.encode(
            Arrays.copyOfRange(e.ciphertext(), e.ciphertext().length - 16, e.ciphertext().length)),
        file + ": GCM tag");
    assertEquals(ChunkName.of(v.path("name").asText()), e.name(), file + ": name");

    assertArrayEquals(
        p,
        ConvergentEncryption.decrypt(e.name(), e.key(), salt, e.ciphertext(), "kat " + file),
        file + ": decrypt");
  }
}
