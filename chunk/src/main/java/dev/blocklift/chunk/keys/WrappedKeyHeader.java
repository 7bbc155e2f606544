package dev.blocklift.chunk.keys;

import dev.blocklift.chunk.TenantId;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.CorruptDataException;
import java.io.ByteArrayOutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The self-describing header every key service puts in front of a wrapped key: {@code magic(4) | u8
 * format=1 | u16 len + tenant | u32 key version}. It is the AAD of the wrap where the service
 * supports one, so a blob cannot be moved to another tenant or version unnoticed.
 */
record WrappedKeyHeader(String magic, TenantId tenant, int keyVersion, int length) {
  static final int FORMAT = 1;

  byte[] encode() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] m = magic.getBytes(StandardCharsets.US_ASCII);
    byte[] t = tenant.value().getBytes(StandardCharsets.US_ASCII);
    out.write(m, 0, m.length);
    out.write(FORMAT);
    out.write(t.length >>> 8);
    out.write(t.length);
    out.write(t, 0, t.length);
    out.write(keyVersion >>> 24);
    out.write(keyVersion >>> 16);
    out.write(keyVersion >>> 8);
    out.write(keyVersion);
    return out.toByteArray();
  }

  static WrappedKeyHeader of(String magic, TenantId tenant, int keyVersion) {
    WrappedKeyHeader h = new WrappedKeyHeader(magic, tenant, keyVersion, 0);
    return new WrappedKeyHeader(magic, tenant, keyVersion, h.encode().length);
  }

  /**
   * Parses the header of {@code blob}, checks the magic (which names the service) and that it was
   * wrapped for {@code expected}.
   */
  static WrappedKeyHeader parse(byte[] blob, String magic, String service, TenantId expected) {
    try {
      ByteBuffer b = ByteBuffer.wrap(blob);
      byte[] m = new byte[4];
      b.get(m);
      if (!Arrays.equals(m, magic.getBytes(StandardCharsets.US_ASCII))) {
        throw new CorruptDataException(
            "wrapped key: field magic is not \""
                + magic
                + "\": not wrapped by "
                + service
                + " (wrong key service configured, or corrupt)");
      }
      int format = b.get() & 0xff;
      if (format != FORMAT) {
        throw new CorruptDataException("wrapped key: field format is " + format + ", expected 1");
      }
      int n = b.getShort() & 0xffff;
      byte[] t = new byte[n];
      b.get(t);
      TenantId tenant;
      try {
        tenant = TenantId.of(new String(t, StandardCharsets.US_ASCII));
      } catch (IllegalArgumentException e) {
        throw new CorruptDataException("wrapped key: field tenant is invalid", e);
      }
      int version = b.getInt();
      if (version < 1) {
        throw new CorruptDataException("wrapped key: field key version is " + version);
      }
      if (!tenant.equals(expected)) {
        throw new BlockliftException(
            "the data key was wrapped for tenant "
                + tenant
                + ", not "
                + expected
                + ": tenant "
                + expected
                + " cannot open it");
      }
      return new WrappedKeyHeader(magic, tenant, version, b.position());
    } catch (BufferUnderflowException e) {
      throw new CorruptDataException(
          "wrapped key: truncated header (" + blob.length + " bytes)", e);
    }
  }
}
