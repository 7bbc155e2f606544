package dev.blocklift.registry;

import static dev.blocklift.registry.RegistryFixtures.fastSettings;
import static dev.blocklift.registry.RegistryFixtures.open;
import static dev.blocklift.registry.RegistryFixtures.readBlob;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.Platform;
import dev.blocklift.image.Descriptor;
import dev.blocklift.image.ResolvedImage;
import dev.blocklift.testing.Processes;
import dev.blocklift.testing.Requirements;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A registry serving HTTPS with a self-signed certificate, on a non-loopback address (loopback
 * hosts are always plain HTTP): refused by default with a hint, accepted with {@code
 * --tls-verify=false}.
 */
class RegistryTlsTest {
  @TempDir Path tmp;

  private static Optional<String> nonLoopbackIpv4() throws SocketException {
    for (NetworkInterface nif : NetworkInterface.networkInterfaces().toList()) {
      if (!nif.isUp() || nif.isLoopback()) {
        continue;
      }
      for (InetAddress a : nif.inetAddresses().toList()) {
        if (a instanceof Inet4Address && !a.isLoopbackAddress()) {
          return Optional.of(a.getHostAddress());
        }
      }
    }
    return Optional.empty();
  }

  @Test
  void selfSignedHttpsNeedsTlsVerifyFalse() throws IOException {
    LocalRegistry.requireTools();
    Requirements.commands("openssl");
    Optional<String> ip = nonLoopbackIpv4();
    Requirements.require(ip.isPresent(), "needs a non-loopback IPv4 address for a TLS registry");
    Path key = tmp.resolve("tls.key");
    Path cert = tmp.resolve("tls.crt");
    List<String> cmd =
        List.of(
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            key.toString(),
            "-out",
            cert.toString(),
            "-days",
            "2",
            "-subj",
            "/CN=blocklift-tls-test",
            "-addext",
            "subjectAltName=IP:" + ip.get());
    Processes.run(Duration.ofMinutes(1), tmp, cmd).assertSuccess(cmd);

    OciFixture layout = new OciFixture(tmp.resolve("layout"));
    OciFixture.Image image =
        layout.image(
            "amd64", List.of(OciFixture.randomTar(new SplittableRandom(443), 2, 30_000)), false);
    layout.tag("t", image.manifest());
    try (LocalRegistry registry =
        LocalRegistry.startTls(tmp.resolve("registry"), ip.get(), cert, key)) {
      registry.push(layout.dir(), "t", "tls/img:t");
      String ref = "docker://" + registry.host() + "/tls/img:t";

      try (RegistryImageSource source = open(ref, fastSettings())) {
        BlockliftException e =
            assertThrows(BlockliftException.class, () -> source.resolve(Platform.LINUX_AMD64));
        assertTrue(e.getMessage().contains("--tls-verify=false"), e.getMessage());
      }
      try (RegistryImageSource source = open(ref, fastSettings().withTlsVerify(false))) {
        ResolvedImage resolved = source.resolve(Platform.LINUX_AMD64);
        assertEquals(image.manifest().digest(), resolved.manifestDigest());
        for (Descriptor d : resolved.layers()) {
          assertArrayEquals(layout.blob(d.digest()), readBlob(source, d));
        }
      }
    }
  }
}
