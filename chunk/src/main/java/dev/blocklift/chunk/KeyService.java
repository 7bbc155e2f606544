package dev.blocklift.chunk;

/**
 * Wraps and unwraps a manifest's 32-byte data key with a tenant's key, which never leaves the key
 * service (local keyring by default, PKCS#11 token, AWS KMS). A wrapped key names the tenant and
 * the key version it was wrapped under, so a key service keeps unwrapping old blobs after rotation.
 *
 * <p>Contract (checked by every implementation's test, {@code KeyServiceContract}):
 *
 * <ul>
 *   <li>{@code unwrap(t, wrap(t, k))} equals {@code k};
 *   <li>unwrapping tenant A's blob as tenant B fails ({@link dev.blocklift.core.BlockliftException}
 *       naming both tenants) and never returns key bytes;
 *   <li>after {@link #rotate}, new blobs use the new key and old blobs still unwrap;
 *   <li>any changed bit in a blob fails with {@link dev.blocklift.core.CorruptDataException}.
 * </ul>
 *
 * Implementations are thread-safe.
 */
public interface KeyService extends AutoCloseable {
  /** Length of the data keys this service wraps. */
  int DATA_KEY_BYTES = 32;

  /** Wraps {@code dataKey} (32 bytes) under the tenant's current key; may create that key. */
  byte[] wrap(TenantId tenant, byte[] dataKey);

  /**
   * Unwraps a blob made by {@link #wrap} for the same tenant.
   *
   * @throws dev.blocklift.core.CorruptDataException if the blob was altered
   * @throws dev.blocklift.core.BlockliftException if the blob belongs to another tenant, or the
   *     tenant or key version is unknown to this service
   */
  byte[] unwrap(TenantId tenant, byte[] wrapped);

  /**
   * Makes a new current key for the tenant; blobs wrapped before still unwrap.
   *
   * @throws UnsupportedOperationException if the service rotates keys by itself (AWS KMS)
   */
  void rotate(TenantId tenant);

  /** Whether {@link #rotate} is supported. */
  default boolean supportsRotation() {
    return true;
  }

  /** For messages: which service and where, e.g. {@code keyring /root/.blocklift/keyring.json}. */
  String description();

  @Override
  default void close() {}
}
