package dev.blocklift.chunk.keys;

import dev.blocklift.chunk.KeyService;
import java.net.URI;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * The key service contract against real AWS KMS. Runs only when {@code BLOCKLIFT_TEST_KMS_KEY_ID}
 * names a symmetric KMS key and AWS credentials are configured the usual way ({@code
 * AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY}, {@code AWS_PROFILE}, or an instance role) with
 * a region ({@code AWS_REGION}); {@code BLOCKLIFT_TEST_KMS_ENDPOINT} optionally points at a
 * KMS-compatible server. Otherwise it skips with a printed reason, also in CI (no network there).
 */
class AwsKmsKeyServiceTest extends KeyServiceContract {
  @Override
  protected KeyService newService() {
    String keyId = System.getenv("BLOCKLIFT_TEST_KMS_KEY_ID");
    boolean creds =
        System.getenv("AWS_ACCESS_KEY_ID") != null
            || System.getenv("AWS_PROFILE") != null
            || System.getenv("AWS_WEB_IDENTITY_TOKEN_FILE") != null
            || System.getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI") != null;
    if (keyId == null || keyId.isBlank() || !creds) {
      String reason =
          "AWS KMS contract test needs BLOCKLIFT_TEST_KMS_KEY_ID and AWS credentials"
              + " (AWS_ACCESS_KEY_ID+AWS_SECRET_ACCESS_KEY or AWS_PROFILE) plus AWS_REGION";
      System.out.println("[skipped] " + reason);
      Assumptions.abort(reason);
    }
    return AwsKmsKeyService.create(
        keyId,
        Optional.ofNullable(System.getenv("AWS_REGION")),
        Optional.ofNullable(System.getenv("BLOCKLIFT_TEST_KMS_ENDPOINT")).map(URI::create));
  }

  /** A network round trip per unwrap: sample the header, the first and last KMS bytes. */
  @Override
  protected int[] tamperPositions(byte[] blob) {
    return new int[] {0, 5, 12, blob.length / 2, blob.length - 1};
  }
}
