package dev.blocklift.s3;

import dev.blocklift.core.ImageName;
import dev.blocklift.store.ManifestKeys;
import dev.blocklift.store.ManifestStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Published manifests as S3 objects under {@code <prefix>manifests/<repository>/_tags/<tag>}. A PUT
 * is atomic in S3 (an object appears whole or not at all), which is what publishing needs. It does
 * not own the connection: the chunk store of the same {@link dev.blocklift.store.Store} closes it.
 */
public final class S3ManifestStore implements ManifestStore {
  private final S3Connection s3;
  private final String bucket;
  private final String manifestsPrefix;

  S3ManifestStore(S3Connection s3) {
    this.s3 = s3;
    this.bucket = s3.config().bucket();
    this.manifestsPrefix = s3.config().prefix() + "manifests/";
  }

  public String key(ImageName name) {
    return manifestsPrefix + ManifestKeys.key(name);
  }

  @Override
  public void publish(ImageName name, byte[] manifest) throws IOException {
    try {
      s3.call(
          "publish manifest " + name,
          c -> c.putObject(r -> r.bucket(bucket).key(key(name)), RequestBody.fromBytes(manifest)));
    } catch (S3Exception e) {
      throw s3.failure("publish manifest " + name, e);
    }
  }

  @Override
  public Optional<byte[]> get(ImageName name) throws IOException {
    try {
      return Optional.of(
          s3.call(
              "get manifest " + name,
              c -> c.getObjectAsBytes(r -> r.bucket(bucket).key(key(name))).asByteArray()));
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return Optional.empty();
      }
      throw s3.failure("get manifest " + name, e);
    }
  }

  @Override
  public List<ImageName> list() throws IOException {
    List<ImageName> names = new ArrayList<>();
    try {
      var pages =
          s3.call(
              "list manifests",
              c -> c.listObjectsV2Paginator(r -> r.bucket(bucket).prefix(manifestsPrefix)));
      for (S3Object o : pages.contents()) {
        ManifestKeys.parse(o.key().substring(manifestsPrefix.length())).ifPresent(names::add);
      }
    } catch (S3Exception e) {
      throw s3.failure("list manifests", e);
    } catch (SdkException e) {
      throw s3.failure("list manifests", e);
    }
    names.sort(null);
    return names;
  }

  @Override
  public boolean delete(ImageName name) throws IOException {
    if (get(name).isEmpty()) {
      return false;
    }
    try {
      s3.call("delete manifest " + name, c -> c.deleteObject(r -> r.bucket(bucket).key(key(name))));
    } catch (S3Exception e) {
      throw s3.failure("delete manifest " + name, e);
    }
    return true;
  }

  @Override
  public String describe() {
    return s3.config().describe();
  }
}
