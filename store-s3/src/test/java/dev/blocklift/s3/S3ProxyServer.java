package dev.blocklift.s3;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * A real S3-compatible server for tests: S3Proxy embedded in the test JVM, listening on 127.0.0.1,
 * storing objects with its filesystem backend in a directory, checking AWS SigV4 signatures.
 */
public final class S3ProxyServer implements AutoCloseable {
  public static final String ACCESS_KEY = "blocklift-test";
  public static final String SECRET_KEY = "blocklift-test-secret";

  private final Path dir;
  private final BlobStore blobStore;
  private final S3Proxy proxy;
  private final URI endpoint;

  private S3ProxyServer(Path dir, BlobStore blobStore, S3Proxy proxy, URI endpoint) {
    this.dir = dir;
    this.blobStore = blobStore;
    this.proxy = proxy;
    this.endpoint = endpoint;
  }

  /** Starts a server whose objects live under {@code dir}. */
  public static S3ProxyServer start(Path dir) throws Exception {
    Files.createDirectories(dir);
    Properties p = new Properties();
    p.setProperty("jclouds.filesystem.basedir", dir.toAbsolutePath().toString());
    p.setProperty("jclouds.identity", ACCESS_KEY);
    p.setProperty("jclouds.credential", SECRET_KEY);
    BlobStore blobStore = BlobStores.create("filesystem", p);
    S3Proxy proxy =
        S3Proxy.builder()
            .blobStore(blobStore)
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
            .endpoint(URI.create("http://127.0.0.1:0"))
            .stopTimeout(0)
            .build();
    proxy.start();
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (!"STARTED".equals(proxy.getState())) {
      if (System.nanoTime() > deadline) {
        throw new IOException("S3Proxy did not start within 30 s: " + proxy.getState());
      }
      Thread.sleep(10);
    }
    return new S3ProxyServer(
        dir, blobStore, proxy, URI.create("http://127.0.0.1:" + proxy.getPort()));
  }

  public URI endpoint() {
    return endpoint;
  }

  public Path directory() {
    return dir;
  }

  public void createBucket(String bucket) {
    blobStore.createContainer(bucket);
  }

  public static AwsCredentialsProvider credentials() {
    return StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY));
  }

  /** A store config for {@code bucket}/{@code prefix} on this server: path-style, short limits. */
  public S3StoreConfig config(String bucket, String prefix) {
    return S3StoreConfig.of(bucket, prefix).withEndpoint(endpoint, true);
  }

  /**
   * The store URI of {@code bucket}/{@code prefix}; credentials must come from the default chain
   * (tests set the {@code aws.accessKeyId}/{@code aws.secretAccessKey} system properties).
   */
  public String uri(String bucket, String prefix) {
    return "s3://" + bucket + "/" + prefix + "?endpoint=" + endpoint + "&path-style=true";
  }

  /** Makes {@link #credentials()} the default chain's answer in this JVM. */
  public static void useTestCredentialsInThisJvm() {
    System.setProperty("aws.accessKeyId", ACCESS_KEY);
    System.setProperty("aws.secretAccessKey", SECRET_KEY);
  }

  public void stop() throws Exception {
    proxy.stop();
  }

  @Override
  public void close() throws Exception {
    proxy.stop();
  }
}
