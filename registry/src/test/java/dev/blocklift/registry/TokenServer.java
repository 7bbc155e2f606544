package dev.blocklift.registry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.blocklift.testing.Processes;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A token service for the registry's {@code auth: token:} mode: checks Basic credentials and issues
 * RS256 JWTs signed by a key whose certificate the registry trusts ({@code rootcertbundle}), with a
 * {@code kid} computed the way the registry's key library does (base32 of the first 240 bits of
 * SHA-256 of the public key's DER, in groups of four).
 */
final class TokenServer implements AutoCloseable {
  static final String SERVICE = "blocklift-test-registry";
  static final String ISSUER = "blocklift-test-issuer";

  private final HttpServer server;
  private final PrivateKey key;
  private final String kid;
  private final Path certificate;
  private final Credentials accepted;
  final List<String> scopesRequested = new CopyOnWriteArrayList<>();

  TokenServer(Path dir, Credentials accepted) throws IOException, GeneralSecurityException {
    this.accepted = accepted;
    Path keyFile = dir.resolve("token.key");
    certificate = dir.resolve("token.crt");
    List<String> cmd =
        List.of(
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            keyFile.toString(),
            "-out",
            certificate.toString(),
            "-days",
            "2",
            "-subj",
            "/CN=blocklift-test-token");
    Processes.run(Duration.ofMinutes(1), dir, cmd).assertSuccess(cmd);
    String pem = Files.readString(keyFile);
    String b64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    key =
        KeyFactory.getInstance("RSA")
            .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(b64)));
    X509Certificate cert;
    try (var in = Files.newInputStream(certificate)) {
      cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    kid = keyId(cert.getPublicKey().getEncoded());
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/token", this::handle);
    server.start();
  }

  Path certificate() {
    return certificate;
  }

  String realm() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
  }

  /** The registry's {@code auth:} section for this service. */
  String authYaml() {
    return "auth:\n  token:\n    realm: "
        + realm()
        + "\n    service: "
        + SERVICE
        + "\n    issuer: "
        + ISSUER
        + "\n    rootcertbundle: "
        + certificate
        + "\n";
  }

  static String keyId(byte[] spkiDer) throws GeneralSecurityException {
    byte[] hash = MessageDigest.getInstance("SHA-256").digest(spkiDer);
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    StringBuilder b32 = new StringBuilder();
    int buffer = 0;
    int bits = 0;
    for (int i = 0; i < 30; i++) {
      buffer = (buffer << 8) | (hash[i] & 0xff);
      bits += 8;
      while (bits >= 5) {
        b32.append(alphabet.charAt((buffer >> (bits - 5)) & 31));
        bits -= 5;
      }
    }
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < b32.length(); i += 4) {
      out.append(i == 0 ? "" : ":").append(b32, i, i + 4);
    }
    return out.toString();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String query = ex.getRequestURI().getRawQuery();
      String scope = "";
      for (String kv : query == null ? new String[0] : query.split("&")) {
        if (kv.startsWith("scope=")) {
          scope = URLDecoder.decode(kv.substring(6), StandardCharsets.UTF_8);
        }
      }
      scopesRequested.add(scope);
      String auth = ex.getRequestHeaders().getFirst("Authorization");
      if (accepted != null && !accepted.basicHeader().equals(auth)) {
        ex.sendResponseHeaders(401, -1);
        return;
      }
      String[] parts = scope.split(":");
      String repo = parts.length == 3 ? parts[1] : "";
      long now = System.currentTimeMillis() / 1000;
      String header = "{\"typ\":\"JWT\",\"alg\":\"RS256\",\"kid\":\"" + kid + "\"}";
      String claims =
          "{\"iss\":\""
              + ISSUER
              + "\",\"sub\":\"alice\",\"aud\":\""
              + SERVICE
              + "\",\"exp\":"
              + (now + 300)
              + ",\"nbf\":"
              + (now - 10)
              + ",\"iat\":"
              + now
              + ",\"jti\":\"j"
              + now
              + scopesRequested.size()
              + "\",\"access\":[{\"type\":\"repository\",\"name\":\""
              + repo
              + "\",\"actions\":[\"pull\",\"push\"]}]}";
      Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
      String signingInput =
          b64.encodeToString(header.getBytes(StandardCharsets.UTF_8))
              + "."
              + b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
      String jwt;
      try {
        Signature sig = Signature.getInstance("SHA256withRSA");
        sig.initSign(key);
        sig.update(signingInput.getBytes(StandardCharsets.US_ASCII));
        jwt = signingInput + "." + b64.encodeToString(sig.sign());
      } catch (GeneralSecurityException e) {
        throw new IOException(e);
      }
      byte[] body =
          ("{\"token\":\"" + jwt + "\",\"expires_in\":300}").getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
