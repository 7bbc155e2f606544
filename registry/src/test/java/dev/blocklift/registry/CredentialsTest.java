package dev.blocklift.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.BlockliftException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CredentialsTest {
  @TempDir Path tmp;

  @Test
  void toStringAndParseErrorsNeverShowThePassword() {
    Credentials c = Credentials.parse("bob:pa:ss-w0rd");
    assertEquals("bob", c.username());
    assertEquals("pa:ss-w0rd", c.password());
    assertFalse(c.toString().contains("pa:ss-w0rd"), c.toString());
    assertTrue(c.toString().contains("bob"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Credentials.parse("only-a-secret"));
    assertFalse(e.getMessage().contains("only-a-secret"), e.getMessage());
  }

  @Test
  void dockerConfigAuthsByHostAndUrlKeys() throws Exception {
    Path file =
        Files.writeString(
            tmp.resolve("config.json"),
            "{\"auths\":{"
                + "\"registry.example.io:5000\":{\"auth\":\""
                + b64("u1:p1")
                + "\"},"
                + "\"https://index.docker.io/v1/\":{\"auth\":\""
                + b64("hub:p2")
                + "\"},"
                + "\"other.example\":{\"username\":\"u3\",\"password\":\"p3\"},"
                + "\"empty.example\":{}},"
                + "\"credsStore\":\"desktop\"}");
    DockerConfigCredentials creds = DockerConfigCredentials.load(file);
    assertEquals(
        new Credentials("u1", "p1"), creds.lookup("registry.example.io:5000").orElseThrow());
    assertEquals(new Credentials("hub", "p2"), creds.lookup("docker.io").orElseThrow());
    assertEquals(new Credentials("u3", "p3"), creds.lookup("OTHER.example").orElseThrow());
    assertTrue(creds.lookup("empty.example").isEmpty());
    assertTrue(creds.lookup("registry.example.io").isEmpty(), "the port is part of the key");
    assertFalse(creds.toString().contains("p1"));
  }

  @Test
  void badAuthFilesNameTheFileButNotItsContent() throws Exception {
    Path missing = tmp.resolve("nope.json");
    BlockliftException e =
        assertThrows(BlockliftException.class, () -> DockerConfigCredentials.load(missing));
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());

    Path garbage = Files.writeString(tmp.resolve("bad.json"), "{\"auths\": {\"h\": supersecret");
    e = assertThrows(BlockliftException.class, () -> DockerConfigCredentials.load(garbage));
    assertTrue(e.getMessage().contains(garbage.toString()), e.getMessage());
    assertFalse(e.getMessage().contains("supersecret"), e.getMessage());

    Path notBase64 =
        Files.writeString(tmp.resolve("b.json"), "{\"auths\":{\"h\":{\"auth\":\"%%%secret\"}}}");
    e = assertThrows(BlockliftException.class, () -> DockerConfigCredentials.load(notBase64));
    assertFalse(e.getMessage().contains("secret\""), e.getMessage());
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
