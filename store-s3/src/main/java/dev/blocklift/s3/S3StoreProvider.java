package dev.blocklift.s3;

import dev.blocklift.store.Store;
import dev.blocklift.store.StoreProvider;
import java.net.URI;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/**
 * {@code s3://bucket/prefix?endpoint=http://127.0.0.1:9000&region=us-east-1&path-style=true}:
 * credentials from the AWS default chain (environment, system properties, shared files, instance
 * role) or {@code ?profile=}. See {@link S3StoreConfig} for every option.
 */
public final class S3StoreProvider implements StoreProvider {
  @Override
  public String scheme() {
    return "s3";
  }

  @Override
  public Store open(URI uri) {
    S3StoreConfig config = S3StoreConfig.parse(uri);
    return open(config, S3Connection.defaultCredentials(config));
  }

  /** Opens a store with explicit credentials. */
  public static Store open(S3StoreConfig config, AwsCredentialsProvider credentials) {
    S3Connection s3 = new S3Connection(config, credentials);
    return new Store(config.describe(), new S3ChunkStore(s3), new S3ManifestStore(s3));
  }
}
