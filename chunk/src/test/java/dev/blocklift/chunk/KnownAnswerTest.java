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
 * implementation generate.py there; documented in docs/chunk-format.md): 01-04 in chunk format 0
 * (still read), 05-08 in chunk format 1 (what conversions write). A format-1 vector pins the zstd
 * output too: if a zstd-jni upgrade changes it, this test says so (names of new chunks would
 * change).
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
      case "nibbles" -> {
        byte[] p = stream(spec.path("seed").asText(), spec.path("length").asInt());
        for (int i = 0; i < p.length; i++) {
          p[i] &= 0x0f;
        }
        yield p;
      }
      default -> throw new IllegalArgumentException("unknown plaintext kind " + spec);
    };
  }

  static Salt salt(JsonNode v, String file) {
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
    return salt;
  }

  private static byte[] tag(byte[] stored) {
    return Arrays.copyOfRange(stored, stored.length - 16, stored.length);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "01-all-0x01-512KiB.json",
        "02-short-last-chunk.json",
        "03-random-512KiB-labelled-salt.json",
        "04-tiny.json"
      })
  void formatZeroVectorMatches(String file) throws IOException {
    JsonNode v = load(file);
    byte[] p = plaintext(v.path("plaintext"));
    assertEquals(v.path("plaintextSha256").asText(), Hex.encode(Sha256.hash(p)), file);
    Salt salt = salt(v, file);

    EncryptedChunk e = ConvergentEncryption.encryptV0(salt, p, 0, p.length);
    assertEquals(v.path("key").asText(), e.key().toHex(), file + ": key");
    assertEquals(v.path("ciphertextLength").asInt(), e.ciphertext().length, file + ": length");
    assertEquals(
        v.path("ciphertextHead").asText(),
        Hex.encode(Arrays.copyOf(e.ciphertext(), 32)),
        file + ": first ciphertext bytes");
    assertEquals(v.path("tag").asText(), Hex.encode(tag(e.ciphertext())), file + ": GCM tag");
    assertEquals(ChunkName.of(v.path("name").asText()), e.name(), file + ": name");

    assertArrayEquals(
        p,
        ConvergentEncryption.decrypt(
            ChunkFormat.V0, e.name(), e.key(), salt, e.ciphertext(), p.length, "kat " + file),
        file + ": decrypt");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "05-v1-all-0x01-512KiB.json",
        "06-v1-random-short-raw.json",
        "07-v1-nibbles-short-zstd.json",
        "08-v1-tiny-raw.json"
      })
  void formatOneVectorMatches(String file) throws IOException {
    JsonNode v = load(file);
    assertEquals(1, v.path("chunkFormat").asInt(), file);
    byte[] p = plaintext(v.path("plaintext"));
    assertEquals(v.path("plaintextSha256").asText(), Hex.encode(Sha256.hash(p)), file);
    Salt salt = salt(v, file);

    EncryptedChunk e = ConvergentEncryption.encrypt(salt, p, Compression.ZSTD);
    assertEquals(v.path("key").asText(), e.key().toHex(), file + ": key");
    Compression kind = v.path("frameKind").asInt() == 1 ? Compression.ZSTD : Compression.NONE;
    assertEquals(kind, e.stored(), file + ": frame kind (raw or zstd)");
    assertEquals(v.path("storedLength").asInt(), e.ciphertext().length, file + ": stored length");
    assertEquals(
        v.path("frameLength").asInt() + 12 + 16, e.ciphertext().length, file + ": frame length");
    assertEquals(
        v.path("nonce").asText(),
        Hex.encode(Arrays.copyOf(e.ciphertext(), 12)),
        file + ": synthetic nonce (the frame differs: zstd output changed?)");
    assertEquals(
        v.path("storedHead").asText(),
        Hex.encode(Arrays.copyOf(e.ciphertext(), 32)),
        file + ": first stored bytes");
    assertEquals(v.path("tag").asText(), Hex.encode(tag(e.ciphertext())), file + ": GCM tag");
    assertEquals(ChunkName.of(v.path("name").asText()), e.name(), file + ": name");

    assertArrayEquals(
        p,
        ConvergentEncryption.decrypt(
            ChunkFormat.V1, e.name(), e.key(), salt, e.ciphertext(), p.length, "kat " + file),
        file + ": decrypt");
  }
}
