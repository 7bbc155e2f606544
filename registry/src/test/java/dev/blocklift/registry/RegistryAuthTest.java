package dev.blocklift.registry;

import static dev.blocklift.registry.RegistryFixtures.fastSettings;
import static dev.blocklift.registry.RegistryFixtures.open;
import static dev.blocklift.registry.RegistryFixtures.readBlob;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.Platform;
import dev.blocklift.image.Descriptor;
import dev.blocklift.image.ResolvedImage;
import dev.blocklift.testing.Processes;
import dev.blocklift.testing.Requirements;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Basic (htpasswd) and Bearer token auth against a real registry: the image is pushed once
 * anonymously, then the registry restarts on the same storage behind each auth mode.
 */
class RegistryAuthTest {
  private static final String USER = "alice";
  private static final String PASSWORD = "Tr0ub4dor-and-3";
  private static final String WRONG = "wrong-horse-battery";

  @TempDir static Path tmp;
  static LocalRegistry registry;
  static OciFixture layout;
  static OciFixture.Image image;

  @BeforeAll
  static void pushImage() throws IOException {
    LocalRegistry.requireTools();
    Requirements.commands("htpasswd", "openssl");
    layout = new OciFixture(tmp.resolve("layout"));
    SplittableRandom random = new SplittableRandom(61);
    image =
        layout.image(
            "amd64",
            List.of(OciFixture.randomTar(random, 3, 40_000), OciFixture.randomTar(random, 2, 9)),
            false);
    layout.tag("v1", image.manifest());
    registry = LocalRegistry.start(tmp.resolve("registry"));
    registry.push(layout.dir(), "v1", "team/app:v1");
  }

  @AfterAll
  static void stop() throws IOException {
    if (registry != null) {
      registry.close();
    }
  }

  private String ref() {
    return "docker://" + registry.host() + "/team/app:v1";
  }

  private void pullAndCompare(RegistrySettings settings) throws IOException {
    try (RegistryImageSource source = open(ref(), settings)) {
      ResolvedImage resolved = source.resolve(Platform.LINUX_AMD64);
      assertEquals(image.manifest().digest(), resolved.manifestDigest());
      for (Descriptor layer : resolved.layers()) {
        assertArrayEquals(layout.blob(layer.digest()), readBlob(source, layer));
      }
    }
  }

  private BlockliftException failingPull(RegistrySettings settings) {
    try (RegistryImageSource source = open(ref(), settings)) {
      return assertThrows(BlockliftException.class, () -> source.resolve(Platform.LINUX_AMD64));
    }
  }

  private static void assertNoSecret(Throwable e) {
    StringWriter trace = new StringWriter();
    e.printStackTrace(new PrintWriter(trace));
    for (String secret :
        List.of(PASSWORD, WRONG, b64(USER + ":" + PASSWORD), b64(USER + ":" + WRONG))) {
      assertFalse(trace.toString().contains(secret), "a secret leaked into:\n" + trace);
    }
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void htpasswdBasicAuth() throws IOException {
    List<String> cmd = List.of("htpasswd", "-Bbn", USER, PASSWORD);
    String line = Processes.run(cmd).assertSuccess(cmd).stdout();
    Path htpasswd = Files.writeString(tmp.resolve("htpasswd"), line);
    registry.restart("auth:\n  htpasswd:\n    realm: blocklift-test\n    path: " + htpasswd + "\n");

    BlockliftException anonymous = failingPull(fastSettings());
    assertTrue(anonymous.getMessage().contains("requires authentication"), anonymous.getMessage());
    assertTrue(anonymous.getMessage().contains("--creds"), anonymous.getMessage());

    BlockliftException wrong =
        failingPull(
            fastSettings().withCredentials(CredentialSource.fixed(new Credentials(USER, WRONG))));
    assertTrue(
        wrong.getMessage().contains("rejected the credentials of user \"alice\""),
        wrong.getMessage());
    assertNoSecret(wrong);

    pullAndCompare(
        fastSettings().withCredentials(CredentialSource.fixed(new Credentials(USER, PASSWORD))));

    // The same credentials from a docker config.json (--authfile), keyed by host.
    Path authfile =
        Files.writeString(
            tmp.resolve("auth.json"),
            "{\"auths\":{\""
                + registry.host()
                + "\":{\"auth\":\""
                + b64(USER + ":" + PASSWORD)
                + "\"}}}");
    pullAndCompare(fastSettings().withCredentials(DockerConfigCredentials.load(authfile)));
  }

  @Test
  void bearerTokenFlowWithATokenServiceTheRegistryTrusts() throws Exception {
    try (TokenServer tokens = new TokenServer(tmp, new Credentials(USER, PASSWORD))) {
      registry.restart(tokens.authYaml());

      pullAndCompare(
          fastSettings().withCredentials(CredentialSource.fixed(new Credentials(USER, PASSWORD))));
      assertEquals(
          List.of("repository:team/app:pull"),
          tokens.scopesRequested,
          "one token for the repository scope, cached for manifest, config and layers");

      BlockliftException wrong =
          failingPull(
              fastSettings().withCredentials(CredentialSource.fixed(new Credentials(USER, WRONG))));
      assertTrue(wrong.getMessage().contains("token service"), wrong.getMessage());
      assertTrue(wrong.getMessage().contains("\"alice\""), wrong.getMessage());
      assertNoSecret(wrong);

      BlockliftException anonymous = failingPull(fastSettings());
      assertTrue(
          anonymous.getMessage().contains("requires authentication"), anonymous.getMessage());
    }
  }
}
