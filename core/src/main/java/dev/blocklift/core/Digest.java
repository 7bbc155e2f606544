package dev.blocklift.core;

import java.security.MessageDigest;

/** An OCI content digest, {@code algorithm:hex}. Only sha256 and sha512 are accepted. */
public record Digest(String algorithm, String hex) {
  public Digest {
    int expected =
        switch (algorithm) {
          case "sha256" -> 64;
          case "sha512" -> 128;
          default ->
              throw new IllegalArgumentException(
                  "unsupported digest algorithm \""
                      + Hex.abbreviate(String.valueOf(algorithm))
                      + "\"");
        };
    if (!Hex.isLowerHex(hex, expected)) {
      throw new IllegalArgumentException(
          "bad " + algorithm + " digest hex \"" + Hex.abbreviate(String.valueOf(hex)) + "\"");
    }
  }

  /** Parses {@code sha256:...}; the message echoes the bad value. */
  public static Digest parse(String s) {
    int colon = s.indexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException(
          "digest must look like sha256:<hex>, got \"" + Hex.abbreviate(s) + "\"");
    }
    return new Digest(s.substring(0, colon), s.substring(colon + 1));
  }

  public static Digest sha256(byte[] data) {
    return new Digest("sha256", Hex.encode(Sha256.hash(data)));
  }

  public static Digest sha256Hex(String hex) {
    return new Digest("sha256", hex);
  }

  public MessageDigest newMessageDigest() {
    try {
      return MessageDigest.getInstance(algorithm.equals("sha256") ? "SHA-256" : "SHA-512");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The digest's hex form after {@code algorithm:}, truncated for display. */
  public String shortHex() {
    return hex.substring(0, 12);
  }

  @Override
  public String toString() {
    return algorithm + ":" + hex;
  }
}
