package dev.blocklift.chunk.keys;

import dev.blocklift.chunk.KeyService;
import dev.blocklift.chunk.TenantId;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.CorruptDataException;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.KmsClientBuilder;
import software.amazon.awssdk.services.kms.model.DecryptResponse;
import software.amazon.awssdk.services.kms.model.EncryptionAlgorithmSpec;
import software.amazon.awssdk.services.kms.model.InvalidCiphertextException;

/**
 * Tenant keys in AWS KMS (SDK v2): one symmetric KMS key ({@code keyId}: id, ARN or alias) and the
 * tenant in the <em>encryption context</em> ({@code blocklift-tenant = TENANT}), which KMS binds to
 * the ciphertext like GCM AAD: a blob decrypts only with the same tenant. KMS rotates key material
 * itself (automatic rotation or RotateKeyOnDemand) and keeps decrypting old blobs, so {@link
 * #rotate} is not supported here.
 *
 * <p>Wrapped key: {@code "BLKK" | u8 1 | u16 len + tenant | u32 1 | KMS CiphertextBlob}. Calls time
 * out after 10 s per attempt, 30 s in all.
 */
public final class AwsKmsKeyService implements KeyService {
  static final String MAGIC = "BLKK";
  static final String CONTEXT_KEY = "blocklift-tenant";

  private final KmsClient kms;
  private final String keyId;
  private final boolean ownsClient;

  public AwsKmsKeyService(KmsClient kms, String keyId) {
    this(kms, keyId, false);
  }

  private AwsKmsKeyService(KmsClient kms, String keyId, boolean ownsClient) {
    if (keyId == null || keyId.isBlank()) {
      throw new IllegalArgumentException("KMS key id must not be empty");
    }
    this.kms = kms;
    this.keyId = keyId;
    this.ownsClient = ownsClient;
  }

  /**
   * A client from the default AWS credential and region chain (environment, profile, instance
   * role), optionally with an explicit region and endpoint (for KMS-compatible servers).
   */
  public static AwsKmsKeyService create(
      String keyId, Optional<String> region, Optional<URI> endpoint) {
    KmsClientBuilder b =
        KmsClient.builder()
            .httpClientBuilder(
                UrlConnectionHttpClient.builder()
                    .connectionTimeout(Duration.ofSeconds(5))
                    .socketTimeout(Duration.ofSeconds(10)))
            .overrideConfiguration(
                o ->
                    o.apiCallAttemptTimeout(Duration.ofSeconds(10))
                        .apiCallTimeout(Duration.ofSeconds(30)));
    region.ifPresent(r -> b.region(Region.of(r)));
    endpoint.ifPresent(b::endpointOverride);
    try {
      return new AwsKmsKeyService(b.build(), keyId, true);
    } catch (SdkException e) {
      throw new BlockliftException(
          "cannot set up AWS KMS for key " + keyId + " (region/credentials?): " + e.getMessage(),
          e);
    }
  }

  private static Map<String, String> context(TenantId tenant) {
    return Map.of(CONTEXT_KEY, tenant.value());
  }

  @Override
  public byte[] wrap(TenantId tenant, byte[] dataKey) {
    if (dataKey.length != DATA_KEY_BYTES) {
      throw new IllegalArgumentException("data key must be 32 bytes, got " + dataKey.length);
    }
    byte[] blob;
    try {
      blob =
          kms.encrypt(
                  r ->
                      r.keyId(keyId)
                          .plaintext(SdkBytes.fromByteArray(dataKey))
                          .encryptionAlgorithm(EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT)
                          .encryptionContext(context(tenant)))
              .ciphertextBlob()
              .asByteArray();
    } catch (SdkException e) {
      throw new BlockliftException(
          "AWS KMS Encrypt with key " + keyId + " failed: " + e.getMessage(), e);
    }
    byte[] header = WrappedKeyHeader.of(MAGIC, tenant, 1).encode();
    byte[] out = Arrays.copyOf(header, header.length + blob.length);
    System.arraycopy(blob, 0, out, header.length, blob.length);
    return out;
  }

  @Override
  public byte[] unwrap(TenantId tenant, byte[] wrapped) {
    WrappedKeyHeader h = WrappedKeyHeader.parse(wrapped, MAGIC, description(), tenant);
    byte[] blob = Arrays.copyOfRange(wrapped, h.length(), wrapped.length);
    if (blob.length == 0) {
      throw new CorruptDataException("wrapped key has an empty KMS ciphertext");
    }
    DecryptResponse r;
    try {
      r =
          kms.decrypt(
              d ->
                  d.keyId(keyId)
                      .ciphertextBlob(SdkBytes.fromByteArray(blob))
                      .encryptionAlgorithm(EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT)
                      .encryptionContext(context(tenant)));
    } catch (InvalidCiphertextException e) {
      throw new CorruptDataException(
          "AWS KMS refused the wrapped data key for tenant "
              + tenant
              + " (altered, or another tenant's): "
              + e.getMessage(),
          e);
    } catch (SdkException e) {
      throw new BlockliftException(
          "AWS KMS Decrypt with key " + keyId + " failed: " + e.getMessage(), e);
    }
    byte[] key = r.plaintext().asByteArray();
    if (key.length != DATA_KEY_BYTES) {
      throw new CorruptDataException("AWS KMS returned a " + key.length + "-byte data key");
    }
    return key;
  }

  @Override
  public void rotate(TenantId tenant) {
    throw new UnsupportedOperationException(
        "AWS KMS rotates key material itself: enable automatic rotation on "
            + keyId
            + " or call RotateKeyOnDemand; old wrapped keys keep decrypting");
  }

  @Override
  public boolean supportsRotation() {
    return false;
  }

  @Override
  public String description() {
    return "aws-kms " + keyId;
  }

  @Override
  public void close() {
    if (ownsClient) {
      kms.close();
    }
  }

  @Override
  public String toString() {
    return description();
  }
}
