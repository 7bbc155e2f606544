package dev.blocklift.s3;

import dev.blocklift.core.TimeSpan;
import dev.blocklift.store.Stores;
import dev.blocklift.store.UriQuery;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Where and how to reach an S3 store, as parsed from {@code
 * s3://bucket[/prefix][?endpoint=URL&region=R&path-style=true&profile=P&concurrency=N&attempts=N&timeout=D]}.
 *
 * @param bucket the bucket
 * @param prefix the key prefix, empty or ending with {@code /}
 * @param endpoint an S3-compatible server (MinIO, S3Proxy, Ceph), or empty for AWS
 * @param region the signing region, or empty for the SDK's default region chain
 * @param pathStyle {@code http://host/bucket/key} instead of {@code http://bucket.host/key}
 * @param profile a named profile of the shared credentials file, or empty for the default chain
 * @param concurrency the most requests in flight at once
 * @param attempts the most attempts per request (the SDK retries with jittered backoff)
 * @param timeout the limit for one attempt (connect + response); a whole call is bounded by {@code
 *     attempts × timeout} plus backoff
 */
public record S3StoreConfig(
    String bucket,
    String prefix,
    Optional<URI> endpoint,
    Optional<String> region,
    boolean pathStyle,
    Optional<String> profile,
    int concurrency,
    int attempts,
    Duration timeout) {
  private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
  static final Set<String> OPTIONS =
      Set.of("endpoint", "region", "path-style", "profile", "concurrency", "attempts", "timeout");

  public S3StoreConfig {
    if (!BUCKET.matcher(bucket).matches()) {
      throw new IllegalArgumentException(
          "S3 bucket name must be 3-63 lower-case letters, digits, '.' and '-', got \""
              + bucket
              + "\"");
    }
    if (!prefix.isEmpty() && !prefix.endsWith("/")) {
      prefix = prefix + "/";
    }
    if (concurrency < 1 || attempts < 1 || timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException(
          "S3 store needs concurrency >= 1, attempts >= 1 and a positive timeout");
    }
  }

  /** Defaults for a bucket: AWS, the default chains, 16 in flight, 4 attempts, 30 s each. */
  public static S3StoreConfig of(String bucket, String prefix) {
    return new S3StoreConfig(
        bucket,
        prefix,
        Optional.empty(),
        Optional.empty(),
        false,
        Optional.empty(),
        16,
        4,
        Duration.ofSeconds(30));
  }

  public S3StoreConfig withEndpoint(URI endpoint, boolean pathStyle) {
    return new S3StoreConfig(
        bucket,
        prefix,
        Optional.of(endpoint),
        region,
        pathStyle,
        profile,
        concurrency,
        attempts,
        timeout);
  }

  public S3StoreConfig withLimits(int concurrency, int attempts, Duration timeout) {
    return new S3StoreConfig(
        bucket, prefix, endpoint, region, pathStyle, profile, concurrency, attempts, timeout);
  }

  public S3StoreConfig withRegion(String region) {
    return new S3StoreConfig(
        bucket,
        prefix,
        endpoint,
        Optional.of(region),
        pathStyle,
        profile,
        concurrency,
        attempts,
        timeout);
  }

  /** Parses an {@code s3://} URI; the message of a bad one names it. */
  public static S3StoreConfig parse(URI uri) {
    if (!"s3".equalsIgnoreCase(uri.getScheme())) {
      throw new IllegalArgumentException("not an s3:// URI: " + Stores.redact(uri));
    }
    String bucket = uri.getHost() != null ? uri.getHost() : uri.getRawAuthority();
    if (bucket == null || bucket.isEmpty()) {
      throw new IllegalArgumentException(
          "S3 store URI "
              + Stores.redact(uri)
              + " names no bucket; use s3://bucket/prefix?endpoint=http://host:port");
    }
    if (uri.getRawUserInfo() != null) {
      throw new IllegalArgumentException(
          "S3 store URI must not carry credentials; use the AWS default chain or ?profile=, got "
              + Stores.redact(uri));
    }
    String path = uri.getPath() == null ? "" : uri.getPath();
    String prefix = path.startsWith("/") ? path.substring(1) : path;
    UriQuery q = UriQuery.parse(uri, OPTIONS);
    Optional<URI> endpoint = Optional.empty();
    if (q.has("endpoint")) {
      String e = q.get("endpoint", "");
      URI ep;
      try {
        ep = URI.create(e);
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException(
            "malformed endpoint \"" + e + "\" in S3 store URI " + Stores.redact(uri), ex);
      }
      if (ep.getScheme() == null
          || !(ep.getScheme().equals("http") || ep.getScheme().equals("https"))
          || ep.getHost() == null) {
        throw new IllegalArgumentException(
            "endpoint must look like http://host:port or https://host, got \""
                + e
                + "\" in S3 store URI "
                + Stores.redact(uri));
      }
      endpoint = Optional.of(ep);
    }
    return new S3StoreConfig(
        bucket,
        prefix,
        endpoint,
        q.has("region") ? Optional.of(q.get("region", "")) : Optional.empty(),
        q.getBoolean("path-style", endpoint.isPresent()),
        q.has("profile") ? Optional.of(q.get("profile", "")) : Optional.empty(),
        q.getInt("concurrency", 16, 1, 1024),
        q.getInt("attempts", 4, 1, 20),
        parseTimeout(q.get("timeout", "30s"), uri));
  }

  private static Duration parseTimeout(String text, URI uri) {
    try {
      return TimeSpan.parse(text).requirePositive("timeout").toDuration();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          e.getMessage() + " (timeout= in S3 store URI " + Stores.redact(uri) + ")", e);
    }
  }

  /** {@code s3://bucket/prefix} plus the endpoint, for messages. */
  public String describe() {
    return "s3://" + bucket + "/" + prefix + endpoint.map(e -> " (endpoint " + e + ")").orElse("");
  }
}
