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
 * means the object exists, and it is this call's write only if it carries this call's writer token
 * (a lost response, retried); otherwise another writer got there first; 409
 * ConditionalRequestConflict (a concurrent conditional write in progress) is retried until the
 * other write settles. Every read is hashed and compared with the name, so a corrupt object raises
 * {@link dev.blocklift.core.CorruptChunkException}.
 */
public final class S3ChunkStore implements ChunkStore {
  private static final int CONFLICT_RETRIES = 10;

  /** The user-metadata key of the token of the call that stored a chunk object. */
  static final String WRITER = "blocklift-writer";

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
    // Who stored the object is decided by content, not by attempt counts: each call writes a
    // token of its own into the object's metadata, and a 412 (the object exists) is this call's
    // write only if the stored object carries its token (an earlier attempt of this call whose
    // response was lost, then retried by the SDK or by us).
    String token =
        Long.toUnsignedString(java.util.concurrent.ThreadLocalRandom.current().nextLong(), 36)
            + Long.toUnsignedString(System.nanoTime(), 36);
    for (int attempt = 0; ; attempt++) {
      try {
        s3.call(
            "put chunk " + name,
            c ->
                c.putObject(
                    r ->
                        r.bucket(bucket)
                            .key(key)
                            .ifNoneMatch("*")
                            .metadata(java.util.Map.of(WRITER, token)),
                    RequestBody.fromBytes(ciphertext)));
        return true;
      } catch (S3Exception e) {
        if (e.statusCode() == 412) {
          return storedBy(name, key, token);
        }
        if (e.statusCode() == 409 && attempt < CONFLICT_RETRIES) {
          pause(attempt);
          continue;
        }
        throw s3.failure("put chunk " + name, e);
      }
    }
  }

  /** Whether the object under {@code key} was written by the call holding {@code token}. */
  private boolean storedBy(ChunkName name, String key, String token) throws IOException {
    try {
      String stored =
          s3.call(
                  "look up the writer of chunk " + name,
                  c -> c.headObject(r -> r.bucket(bucket).key(key)))
              .metadata()
              .get(WRITER);
      return token.equals(stored);
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return false; // deleted since (gc): not this call's to claim
      }
      throw s3.failure("look up the writer of chunk " + name, e);
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
