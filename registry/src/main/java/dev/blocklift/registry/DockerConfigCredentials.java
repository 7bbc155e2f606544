package dev.blocklift.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.blocklift.core.BlockliftException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Credentials from a docker {@code config.json} (or a containers {@code auth.json}, same format):
 * {@code {"auths": {"HOST": {"auth": base64("USER:PASS")}}}}. Keys may be a bare host or a URL
 * ({@code https://index.docker.io/v1/}). Credential helpers ({@code credsStore}, {@code
 * credHelpers}) are not run.
 */
public final class DockerConfigCredentials implements CredentialSource {
  private final Map<String, Credentials> byHost;

  private DockerConfigCredentials(Map<String, Credentials> byHost) {
    this.byHost = Map.copyOf(byHost);
  }

  /** Loads {@code file}; a missing or malformed file is an error naming the file, not its text. */
  public static DockerConfigCredentials load(Path file) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(Files.readAllBytes(file));
    } catch (java.nio.file.NoSuchFileException e) {
      throw new BlockliftException("auth file " + file + " does not exist", e);
    } catch (IOException e) {
      // The parser's message may quote the file's content, which holds secrets: leave it out.
      throw new BlockliftException(
          "auth file " + file + " is not a valid docker config.json / auth.json");
    }
    Map<String, Credentials> byHost = new HashMap<>();
    JsonNode auths = root == null ? null : root.get("auths");
    if (auths != null && auths.isObject()) {
      for (Map.Entry<String, JsonNode> e : auths.properties()) {
        decode(file, e.getKey(), e.getValue())
            .ifPresent(c -> byHost.putIfAbsent(normalize(e.getKey()), c));
      }
    }
    return new DockerConfigCredentials(byHost);
  }

  private static Optional<Credentials> decode(Path file, String key, JsonNode entry) {
    JsonNode auth = entry.get("auth");
    if (auth != null && auth.isTextual() && !auth.asText().isEmpty()) {
      String plain;
      try {
        plain = new String(Base64.getDecoder().decode(auth.asText()), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new BlockliftException(
            "auth file " + file + ": the \"auth\" value for " + key + " is not base64");
      }
      try {
        return Optional.of(Credentials.parse(plain));
      } catch (IllegalArgumentException e) {
        throw new BlockliftException(
            "auth file " + file + ": the \"auth\" value for " + key + " is not base64(USER:PASS)");
      }
    }
    JsonNode user = entry.get("username");
    JsonNode pass = entry.get("password");
    if (user != null && pass != null && user.isTextual() && pass.isTextual()) {
      return Optional.of(new Credentials(user.asText(), pass.asText()));
    }
    return Optional.empty();
  }

  /** {@code https://host:port/v1/} and {@code host:port} both become {@code host:port}. */
  static String normalize(String key) {
    String k = key;
    int scheme = k.indexOf("://");
    if (scheme >= 0) {
      k = k.substring(scheme + 3);
    }
    int slash = k.indexOf('/');
    if (slash >= 0) {
      k = k.substring(0, slash);
    }
    return k.toLowerCase(java.util.Locale.ROOT);
  }

  @Override
  public Optional<Credentials> lookup(String host) {
    String h = host.toLowerCase(java.util.Locale.ROOT);
    List<String> candidates =
        switch (h) {
          case "docker.io", "registry-1.docker.io", "index.docker.io" ->
              List.of("index.docker.io", "docker.io", "registry-1.docker.io");
          default -> List.of(h);
        };
    for (String c : candidates) {
      Credentials found = byHost.get(c);
      if (found != null) {
        return Optional.of(found);
      }
    }
    return Optional.empty();
  }

  @Override
  public String toString() {
    return "DockerConfigCredentials" + byHost.keySet();
  }
}
