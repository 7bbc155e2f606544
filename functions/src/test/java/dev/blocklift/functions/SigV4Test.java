package dev.blocklift.functions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpFullRequest;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

/**
 * The SigV4 check against the AWS SDK's own signer: random paths, queries and bodies signed by the
 * SDK verify; any one change to what was signed, a wrong secret or a stale date is refused.
 */
class SigV4Test {
  private static final String SECRET = "the-shared-secret-0123456789";
  private static final String ALPHABET = "abcXYZ019-_.~ $%+/:=&é";

  private record Case(SigV4.Signed signed, Instant at) {}

  private static String random(SplittableRandom r, int max) {
    StringBuilder sb = new StringBuilder();
    int n = 1 + r.nextInt(max);
    for (int i = 0; i < n; i++) {
      sb.append(ALPHABET.charAt(r.nextInt(ALPHABET.length())));
    }
    return sb.toString();
  }

  private static Case signed(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    String name = "fn-" + r.nextInt(1000);
    SdkHttpFullRequest.Builder b =
        SdkHttpFullRequest.builder()
            .method(r.nextBoolean() ? SdkHttpMethod.POST : SdkHttpMethod.PUT)
            .uri(URI.create("http://127.0.0.1:9000"))
            .encodedPath(
                "/2015-03-31/functions/"
                    + SigV4.encode(name + (r.nextBoolean() ? ":$LATEST" : ""))
                    + "/invocations")
            .putHeader("X-Amz-Invocation-Type", "RequestResponse")
            .putHeader("Content-Type", "application/json");
    int params = r.nextInt(3);
    for (int i = 0; i < params; i++) {
      b.putRawQueryParameter(random(r, 6), random(r, 10));
    }
    byte[] body = random(r, 200).getBytes(StandardCharsets.UTF_8);
    SdkHttpRequest req = b.build();
    Instant now = Instant.now();
    SdkHttpRequest s =
        AwsV4HttpSigner.create()
            .sign(
                x ->
                    x.identity(AwsCredentialsIdentity.create("blocklift", SECRET))
                        .request(req)
                        .payload(ContentStreamProvider.fromByteArray(body))
                        .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "lambda")
                        .putProperty(AwsV4HttpSigner.REGION_NAME, "us-east-1"))
            .request();
    Map<String, List<String>> headers = new TreeMap<>();
    s.headers().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), new ArrayList<>(v)));
    headers.putIfAbsent("host", List.of("127.0.0.1:9000"));
    String query = s.encodedQueryParameters().orElse("");
    return new Case(
        new SigV4.Signed(s.method().name(), s.encodedPath(), query, headers, body), now);
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
  void whatTheSdkSignsVerifiesAndAnyChangeIsRefused(long seed) {
    Case c = signed(seed);
    SigV4 v = new SigV4(SECRET.getBytes(StandardCharsets.UTF_8));
    assertEquals(Optional.empty(), v.check(c.signed(), c.at()), c.signed().toString());

    SigV4.Signed s = c.signed();
    byte[] body = s.body().clone();
    body[new SplittableRandom(seed).nextInt(body.length)] ^= 1;
    assertTrue(
        v.check(new SigV4.Signed(s.method(), s.rawPath(), s.rawQuery(), s.headers(), body), c.at())
            .isPresent());
    assertTrue(
        v.check(
                new SigV4.Signed(
                    s.method(), s.rawPath() + "x", s.rawQuery(), s.headers(), s.body()),
                c.at())
            .isPresent());
    assertTrue(
        v.check(
                new SigV4.Signed("DELETE", s.rawPath(), s.rawQuery(), s.headers(), s.body()),
                c.at())
            .isPresent());
    assertTrue(
        v.check(
                new SigV4.Signed(s.method(), s.rawPath(), "Qualifier=other", s.headers(), s.body()),
                c.at())
            .isPresent());
    Map<String, List<String>> h = new TreeMap<>(s.headers());
    h.put("x-amz-invocation-type", List.of("Event"));
    assertTrue(
        v.check(new SigV4.Signed(s.method(), s.rawPath(), s.rawQuery(), h, s.body()), c.at())
            .isPresent());
    assertTrue(
        new SigV4("another-secret-0123456789".getBytes(StandardCharsets.UTF_8))
            .check(s, c.at())
            .isPresent());
    Optional<String> stale = v.check(s, c.at().plus(Duration.ofMinutes(16)));
    assertTrue(stale.orElseThrow().contains("15 minutes"), stale.orElseThrow());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"", "Bearer x", "AWS4-HMAC-SHA256 Credential=a", "AWS4-HMAC-SHA256 ,,,==="})
  void garbageAuthorizationIsRefusedWithAReason(String auth) {
    Map<String, List<String>> h = new TreeMap<>();
    if (!auth.isEmpty()) {
      h.put("authorization", List.of(auth));
    }
    h.put("host", List.of("h"));
    Optional<String> why =
        new SigV4(SECRET.getBytes(StandardCharsets.UTF_8))
            .check(new SigV4.Signed("POST", "/", "", h, new byte[0]), Instant.now());
    assertTrue(why.isPresent());
    assertTrue(!why.get().isBlank());
  }
}
