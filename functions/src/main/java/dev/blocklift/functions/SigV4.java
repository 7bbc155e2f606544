package dev.blocklift.functions;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/*
 * Design: AWS Signature Version 4, checked on the server side, so that the AWS SDKs and the AWS CLI
 * authenticate to the invoke listener with their own signing: the access key id is any name, the
 * secret access key is the worker's token. The check follows AWS's documented algorithm:
 *
 *   canonical request = METHOD \n canonical URI \n canonical query \n canonical headers \n
 *                       signed header names \n hex(SHA-256(body))
 *   string to sign    = "AWS4-HMAC-SHA256" \n X-Amz-Date \n date/region/service/aws4_request \n
 *                       hex(SHA-256(canonical request))
 *   key               = HMAC chain of "AWS4"+secret over date, region, service, "aws4_request"
 *
 * The canonical URI of services other than S3 is the request's path URI-encoded once more (the
 * path on the wire is already encoded once). The signature is compared in constant time, the date
 * must be within 15 minutes of the worker's clock, and `host` must be among the signed headers.
 */
/** Verification of AWS SigV4-signed requests with one shared secret. */
final class SigV4 {
  static final String ALGORITHM = "AWS4-HMAC-SHA256";
  private static final Duration SKEW = Duration.ofMinutes(15);
  private static final DateTimeFormatter AMZ_DATE =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private final byte[] secret;

  SigV4(byte[] secret) {
    this.secret = secret.clone();
  }

  /** The request as the signer saw it. */
  @SuppressWarnings("ArrayRecordComponent") // read once to hash, never changed
  record Signed(
      String method,
      String rawPath,
      String rawQuery,
      Map<String, List<String>> headers,
      byte[] body) {}

  /** Empty when {@code r} is correctly signed now, else why not. */
  Optional<String> check(Signed r, Instant now) {
    String auth = first(r.headers(), "authorization");
    if (auth == null || !auth.startsWith(ALGORITHM + " ")) {
      return Optional.of("the request is not signed with " + ALGORITHM);
    }
    Map<String, String> parts = new TreeMap<>();
    for (String p : auth.substring(ALGORITHM.length() + 1).split(",")) {
      int eq = p.indexOf('=');
      if (eq > 0) {
        parts.put(p.substring(0, eq).strip(), p.substring(eq + 1).strip());
      }
    }
    String credential = parts.get("Credential");
    String signedHeaders = parts.get("SignedHeaders");
    String signature = parts.get("Signature");
    if (credential == null || signedHeaders == null || signature == null) {
      return Optional.of("the Authorization header lacks Credential, SignedHeaders or Signature");
    }
    String[] scope = credential.split("/");
    if (scope.length != 5 || !scope[4].equals("aws4_request")) {
      return Optional.of("the credential scope is not KEY/DATE/REGION/SERVICE/aws4_request");
    }
    String amzDate = first(r.headers(), "x-amz-date");
    if (amzDate == null) {
      return Optional.of("the request has no X-Amz-Date");
    }
    Instant signedAt;
    try {
      signedAt = Instant.from(AMZ_DATE.parse(amzDate));
    } catch (DateTimeParseException e) {
      return Optional.of("X-Amz-Date is not yyyyMMddTHHmmssZ: " + amzDate);
    }
    if (Duration.between(signedAt, now).abs().compareTo(SKEW) > 0) {
      return Optional.of("the signature's date " + amzDate + " is more than 15 minutes off");
    }
    if (!amzDate.startsWith(scope[1])) {
      return Optional.of("the credential's date does not match X-Amz-Date");
    }
    List<String> names = List.of(signedHeaders.split(";"));
    if (!names.contains("host")) {
      return Optional.of("the signature does not cover the host header");
    }
    StringBuilder canonicalHeaders = new StringBuilder();
    for (String n : names) {
      List<String> values = r.headers().get(n);
      if (values == null) {
        return Optional.of("signed header " + n + " is missing");
      }
      List<String> trimmed = new ArrayList<>();
      for (String v : values) {
        trimmed.add(v.strip().replaceAll(" +", " "));
      }
      canonicalHeaders.append(n).append(':').append(String.join(",", trimmed)).append('\n');
    }
    String payloadHash =
        Optional.ofNullable(first(r.headers(), "x-amz-content-sha256"))
            .filter(h -> !h.startsWith("UNSIGNED"))
            .orElse(hex(sha256(r.body())));
    if (!payloadHash.equals(hex(sha256(r.body())))) {
      return Optional.of("x-amz-content-sha256 does not match the body");
    }
    String canonical =
        r.method()
            + "\n"
            + canonicalUri(r.rawPath())
            + "\n"
            + canonicalQuery(r.rawQuery())
            + "\n"
            + canonicalHeaders
            + "\n"
            + signedHeaders
            + "\n"
            + payloadHash;
    String stringToSign =
        ALGORITHM
            + "\n"
            + amzDate
            + "\n"
            + scope[1]
            + "/"
            + scope[2]
            + "/"
            + scope[3]
            + "/aws4_request\n"
            + hex(sha256(canonical.getBytes(StandardCharsets.UTF_8)));
    byte[] first = new byte[4 + secret.length];
    System.arraycopy("AWS4".getBytes(StandardCharsets.US_ASCII), 0, first, 0, 4);
    System.arraycopy(secret, 0, first, 4, secret.length);
    byte[] key = hmac(first, scope[1].getBytes(StandardCharsets.UTF_8));
    key = hmac(key, scope[2].getBytes(StandardCharsets.UTF_8));
    key = hmac(key, scope[3].getBytes(StandardCharsets.UTF_8));
    key = hmac(key, "aws4_request".getBytes(StandardCharsets.UTF_8));
    byte[] expected =
        HexFormat.of()
            .formatHex(hmac(key, stringToSign.getBytes(StandardCharsets.UTF_8)))
            .getBytes(StandardCharsets.US_ASCII);
    if (!MessageDigest.isEqual(expected, signature.getBytes(StandardCharsets.US_ASCII))) {
      return Optional.of(
          "The request signature we calculated does not match the signature you provided");
    }
    return Optional.empty();
  }

  private static byte[] hmac(byte[] key, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String first(Map<String, List<String>> h, String name) {
    List<String> v = h.get(name);
    return v == null || v.isEmpty() ? null : v.getFirst();
  }

  static String canonicalUri(String rawPath) {
    if (rawPath == null || rawPath.isEmpty()) {
      return "/";
    }
    List<String> out = new ArrayList<>();
    for (String seg : rawPath.split("/", -1)) {
      out.add(encode(seg));
    }
    return String.join("/", out);
  }

  static String canonicalQuery(String rawQuery) {
    if (rawQuery == null || rawQuery.isEmpty()) {
      return "";
    }
    TreeMap<String, List<String>> sorted = new TreeMap<>();
    for (String kv : rawQuery.split("&")) {
      if (kv.isEmpty()) {
        continue;
      }
      int eq = kv.indexOf('=');
      String k = decode(eq < 0 ? kv : kv.substring(0, eq));
      String v = eq < 0 ? "" : decode(kv.substring(eq + 1));
      sorted.computeIfAbsent(encode(k), x -> new ArrayList<>()).add(encode(v));
    }
    List<String> out = new ArrayList<>();
    sorted.forEach((k, vs) -> vs.stream().sorted().forEach(v -> out.add(k + "=" + v)));
    return String.join("&", out);
  }

  private static String decode(String s) {
    return java.net.URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  /** RFC 3986 encoding of everything but unreserved characters, upper-case hex. */
  static String encode(String s) {
    StringBuilder sb = new StringBuilder();
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'A' && c <= 'Z')
          || (c >= 'a' && c <= 'z')
          || (c >= '0' && c <= '9')
          || c == '-'
          || c == '_'
          || c == '.'
          || c == '~') {
        sb.append(c);
      } else {
        sb.append('%').append(String.format(Locale.ROOT, "%02X", b & 0xff));
      }
    }
    return sb.toString();
  }

  static byte[] sha256(byte[] b) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(b);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }
}
