package dev.blocklift.s3;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.Semaphore;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * One S3 client shared by a store's chunks and manifests, with the policies every request follows:
 * at most {@code concurrency} requests in flight (a semaphore, so many virtual threads can call at
 * once), the SDK's standard retry strategy (jittered exponential backoff) for {@code attempts}, a
 * timeout per attempt and per call, and errors turned into {@link IOException}s that name the store
 * and the operation.
 */
final class S3Connection implements AutoCloseable {
  /** One request against S3. */
  interface Call<T> {
    T run(S3Client s3);
  }

  private final S3StoreConfig config;
  private final S3Client client;
  private final Semaphore inFlight;

  S3Connection(S3StoreConfig config, AwsCredentialsProvider credentials) {
    this.config = config;
    this.inFlight = new Semaphore(config.concurrency());
    S3ClientBuilder b =
        S3Client.builder()
            .httpClient(
                UrlConnectionHttpClient.builder()
                    .connectionTimeout(config.timeout())
                    .socketTimeout(config.timeout())
                    .build())
            .overrideConfiguration(
                ClientOverrideConfiguration.builder()
                    .retryStrategy(r -> r.maxAttempts(config.attempts()))
                    .apiCallAttemptTimeout(config.timeout())
                    .apiCallTimeout(config.timeout().multipliedBy(config.attempts() + 1L))
                    .build())
            .forcePathStyle(config.pathStyle())
            // Chunks are verified against their names on every read; S3-compatible servers vary in
            // their support of the newer flexible checksums, so only send them when required.
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
            .credentialsProvider(credentials)
            .region(region(config));
    config.endpoint().ifPresent(b::endpointOverride);
    this.client = b.build();
  }

  static AwsCredentialsProvider defaultCredentials(S3StoreConfig config) {
    return config.profile().isPresent()
        ? ProfileCredentialsProvider.create(config.profile().get())
        : DefaultCredentialsProvider.builder().build();
  }

  private static Region region(S3StoreConfig config) {
    if (config.region().isPresent()) {
      return Region.of(config.region().get());
    }
    if (config.endpoint().isPresent()) {
      return Region.US_EAST_1; // S3-compatible servers ignore it, but SigV4 needs one
    }
    try {
      return DefaultAwsRegionProviderChain.builder().build().getRegion();
    } catch (SdkException e) {
      return Region.US_EAST_1;
    }
  }

  S3StoreConfig config() {
    return config;
  }

  /**
   * Runs one request under the concurrency bound. S3 errors that the caller handles (404, 412) come
   * back as {@link S3Exception}; everything else becomes an {@link IOException} naming {@code
   * what}.
   */
  <T> T call(String what, Call<T> call) throws IOException {
    try {
      inFlight.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted waiting to " + what);
    }
    try {
      return call.run(client);
    } catch (S3Exception e) {
      throw e;
    } catch (SdkException e) {
      throw failure(what, e);
    } finally {
      inFlight.release();
    }
  }

  IOException failure(String what, SdkException e) {
    String detail = e.getMessage();
    if (e instanceof S3Exception s3) {
      detail =
          "HTTP "
              + s3.statusCode()
              + (s3.awsErrorDetails() != null && s3.awsErrorDetails().errorCode() != null
                  ? " " + s3.awsErrorDetails().errorCode()
                  : "")
              + ": "
              + s3.getMessage();
    }
    return new IOException("S3 store " + config.describe() + ": " + what + " failed: " + detail, e);
  }

  @Override
  public void close() {
    client.close();
  }
}
