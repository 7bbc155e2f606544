package dev.blocklift.chunk.keys;

import dev.blocklift.chunk.ChunkHome;
import dev.blocklift.chunk.KeyService;
import dev.blocklift.core.BlockliftException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Opens a key service from a one-line spec, as given on the command line or in config:
 *
 * <ul>
 *   <li>{@code local} (or {@code keyring}) — the local keyring {@code HOME/keyring.json} (the
 *       default);
 *   <li>{@code keyring:/path/keyring.json} — a local keyring elsewhere;
 *   <li>{@code pkcs11:library=/usr/lib/softhsm/libsofthsm2.so,slot=123,pin-file=/path} — a PKCS#11
 *       token (the PIN is read from a file, never from the command line; {@code pin-env=VAR} reads
 *       it from an environment variable instead);
 *   <li>{@code awskms:KEY-ID-OR-ARN-OR-alias/NAME[,region=eu-west-1][,endpoint=URL]} — AWS KMS with
 *       the default credential chain.
 * </ul>
 */
public final class KeyServices {
  private KeyServices() {}

  public static KeyService open(String spec, Path home, Clock clock) {
    try {
      if (spec == null || spec.isBlank() || spec.equals("local") || spec.equals("keyring")) {
        return LocalKeyring.open(ChunkHome.keyring(home), clock);
      }
      if (spec.startsWith("keyring:")) {
        return LocalKeyring.open(Path.of(spec.substring("keyring:".length())), clock);
      }
      if (spec.startsWith("pkcs11:")) {
        Map<String, String> o = options(spec.substring("pkcs11:".length()), spec);
        String library = require(o, "library", spec);
        long slot;
        try {
          slot = Long.parseLong(require(o, "slot", spec));
        } catch (NumberFormatException e) {
          throw new BlockliftException(
              "pkcs11 slot must be a number, got \"" + o.get("slot") + "\"");
        }
        return Pkcs11KeyService.open(Path.of(library), slot, pin(o, spec));
      }
      if (spec.startsWith("awskms:")) {
        String rest = spec.substring("awskms:".length());
        int comma = rest.indexOf(',');
        String keyId = comma < 0 ? rest : rest.substring(0, comma);
        Map<String, String> o = comma < 0 ? Map.of() : options(rest.substring(comma + 1), spec);
        return AwsKmsKeyService.create(
            keyId,
            Optional.ofNullable(o.get("region")),
            Optional.ofNullable(o.get("endpoint")).map(URI::create));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot open key service \"" + spec + "\": " + e.getMessage(), e);
    }
    throw new BlockliftException(
        "unknown key service \""
            + spec
            + "\": use local, keyring:PATH, pkcs11:library=LIB,slot=N,pin-file=FILE or"
            + " awskms:KEY-ID[,region=R]");
  }

  private static char[] pin(Map<String, String> o, String spec) throws IOException {
    if (o.containsKey("pin-file")) {
      return Files.readString(Path.of(o.get("pin-file")), StandardCharsets.UTF_8)
          .strip()
          .toCharArray();
    }
    if (o.containsKey("pin-env")) {
      String v = System.getenv(o.get("pin-env"));
      if (v == null) {
        throw new BlockliftException("environment variable " + o.get("pin-env") + " is not set");
      }
      return v.toCharArray();
    }
    throw new BlockliftException("key service \"" + spec + "\" needs pin-file=FILE or pin-env=VAR");
  }

  private static String require(Map<String, String> o, String key, String spec) {
    String v = o.get(key);
    if (v == null || v.isEmpty()) {
      throw new BlockliftException("key service \"" + spec + "\" needs " + key + "=...");
    }
    return v;
  }

  private static Map<String, String> options(String text, String spec) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String part : text.split(",")) {
      if (part.isEmpty()) {
        continue;
      }
      int eq = part.indexOf('=');
      if (eq <= 0) {
        throw new BlockliftException(
            "key service option \"" + part + "\" in \"" + spec + "\" must look like key=value");
      }
      m.put(part.substring(0, eq), part.substring(eq + 1));
    }
    return m;
  }
}
