package dev.blocklift.s3;

import dev.blocklift.core.ChunkName;
import dev.blocklift.store.ChunkStore;
import dev.blocklift.store.StoredChunk;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.stream.Stream;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Chunks as S3 objects under {@code <prefix>chunks/ab/<name>} (the two-digit level spreads keys
 * over S3's partitions and keeps listings by prefix cheap).
 *
 * <p>Put-if-absent is S3's conditional write {@code If-None-Match: *}: 412 Precondition Failed
 * means another writer got there first; 409 ConditionalRequestConflict (a concurrent conditional
 * write in progress) is retried until the other write settles. Every read is hashed and compared
 * with the name, so a corrupt object raises {@link dev.blocklift.core.CorruptChunkException}.
 */
public final class S3ChunkStore implements ChunkStore {
  private static final int CONFLICT_RETRIES = 10;

  private final S3Connection s3;
  private final String bucket;
  private final String chunksPrefix;

  S3ChunkStore(S3Connection s3) {
    this.s3 = s3;
    this.bucket = s3.config().bucket();
    this.chunksPrefix = s3.config().prefix() + "chunks/";
  }

  /** Opens a chunk store with the given credentials (tests; the CLI goes through the URI). */
  public static S3ChunkStore open(S3StoreConfig config, AwsCredentialsProvider credentials) {
    return new S3ChunkStore(new S3Connection(config, credentials));
  }

  /** The object key of a chunk. */
  public String key(ChunkName name) {
    return chunksPrefix + name.prefix(2) + "/" + name.hex();
  }

  @Override
  public boolean putIfAbsent(ChunkName name, byte[] ciphertext) throws IOException {
    if (!name.matches(ciphertext)) {
      throw new IllegalArgumentException(
          "chunk bytes do not hash to their name "
              + name
              + " (they hash to "
              + ChunkName.ofCiphertext(ciphertext)
              + ")");
    }
    String key = key(name);
    for (int attempt = 0; ; attempt++) {
      try {
        s3.call(
            "put chunk " + name,
            c ->
                c.putObject(
                    r -> r.bucket(bucket).key(key).ifNoneMatch("*"),
                    RequestBody.fromBytes(ciphertext)));
        return true;
      } catch (S3Exception e) {
        if (e.statusCode() == 412) {
          // A 412 on the SDK's retry of this PUT may answer our own earlier attempt, whose
          // response was lost after the object was written: the chunk is there either way (same
          // name, same bytes), so only a 412 on the first attempt means another writer stored it.
          Integer attempts = e.numAttempts();
          return attempts != null && attempts > 1;
        }
        if (e.statusCode() == 409 && attempt < CONFLICT_RETRIES) {
          pause(attempt);
          continue;
        }
        throw s3.failure("put chunk " + name, e);
      }
    }
  }

  private static void pause(int attempt) throws InterruptedIOException {
    try {
      Thread.sleep(Math.min(1000L, 20L << attempt));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted");
    }
  }

  @Override
  public Optional<byte[]> get(ChunkName name) throws IOException {
    byte[] bytes;
    try {
      bytes =
          s3.call(
              "get chunk " + name,
              c -> c.getObjectAsBytes(r -> r.bucket(bucket).key(key(name))).asByteArray());
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return Optional.empty();
      }
      throw s3.failure("get chunk " + name, e);
    }
    name.verify(bytes, describe());
    return Optional.of(bytes);
  }

  @Override
  public boolean exists(ChunkName name) throws IOException {
    try {
      s3.call("look up chunk " + name, c -> c.headObject(r -> r.bucket(bucket).key(key(name))));
      return true;
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return false;
      }
      throw s3.failure("look up chunk " + name, e);
    }
  }

  @Override
  public Stream<StoredChunk> list() throws IOException {
    var pages =
        s3.call(
            "list chunks",
            c -> c.listObjectsV2Paginator(r -> r.bucket(bucket).prefix(chunksPrefix)));
    try {
      return pages.contents().stream().map(this::entry).flatMap(Optional::stream);
    } catch (SdkException e) {
      throw s3.failure("list chunks", e);
    }
  }

  private Optional<StoredChunk> entry(S3Object o) {
    String key = o.key();
    int slash = key.lastIndexOf('/');
    String file = key.substring(slash + 1);
    if (file.length() != ChunkName.HEX_LENGTH) {
      return Optional.empty();
    }
    try {
      ChunkName name = ChunkName.of(file);
      if (!key.equals(key(name))) {
        return Optional.empty();
      }
      return Optional.of(new StoredChunk(name, o.size(), o.lastModified()));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    } catch (SdkException e) {
      throw new UncheckedIOException(s3.failure("list chunks", e));
    }
  }

  @Override
  public Optional<StoredChunk> stat(ChunkName name) throws IOException {
    try {
      var head =
          s3.call("look up chunk " + name, c -> c.headObject(r -> r.bucket(bucket).key(key(name))));
      return Optional.of(new StoredChunk(name, head.contentLength(), head.lastModified()));
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return Optional.empty();
      }
      throw s3.failure("look up chunk " + name, e);
    }
  }

  /** Copies the object onto itself (new metadata), which gives it a fresh Last-Modified. */
  @Override
  public boolean touch(ChunkName name) throws IOException {
    String key = key(name);
    try {
      s3.call(
          "touch chunk " + name,
          c ->
              c.copyObject(
                  r ->
                      r.sourceBucket(bucket)
                          .sourceKey(key)
                          .destinationBucket(bucket)
                          .destinationKey(key)
                          .metadataDirective(MetadataDirective.REPLACE)
                          .metadata(java.util.Map.of("touched", "1"))));
      return true;
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return false;
      }
      throw s3.failure("touch chunk " + name, e);
    }
  }

  @Override
  public boolean delete(ChunkName name) throws IOException {
    if (!exists(name)) {
      return false;
    }
    try {
      s3.call("delete chunk " + name, c -> c.deleteObject(r -> r.bucket(bucket).key(key(name))));
    } catch (S3Exception e) {
      throw s3.failure("delete chunk " + name, e);
    }
    return true;
  }

  @Override
  public String describe() {
    return s3.config().describe();
  }

  @Override
  public void close() {
    s3.close();
  }
}
