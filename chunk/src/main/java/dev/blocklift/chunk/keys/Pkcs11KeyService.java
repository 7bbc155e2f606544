package dev.blocklift.chunk.keys;

import dev.blocklift.chunk.KeyService;
import dev.blocklift.chunk.TenantId;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.CorruptDataException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.Provider;
import java.security.Security;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;

/**
 * Tenant keys inside a PKCS#11 token (an HSM; SoftHSM2 in tests), used through the JDK's SunPKCS11
 * provider. Keys are AES-256 token objects labelled {@code blocklift/TENANT/vN}, generated inside
 * the token (non-extractable); rotation adds {@code vN+1} and keeps the old ones.
 *
 * <p>Wrapped key: {@code "BLKP" | u8 1 | u16 len + tenant | u32 key version | 12-byte random nonce
 * | CKM_AES_GCM(tenant key, data key, aad = the header before the nonce)}; the token does the GCM.
 */
public final class Pkcs11KeyService implements KeyService {
  static final String MAGIC = "BLKP";
  private static final Pattern ALIAS = Pattern.compile("blocklift/([a-z0-9._-]+)/v([0-9]{1,9})");

  private final Provider provider;
  private final KeyStore keyStore;
  private final String where;

  private Pkcs11KeyService(Provider provider, KeyStore keyStore, String where) {
    this.provider = provider;
    this.keyStore = keyStore;
    this.where = where;
  }

  /**
   * Configures SunPKCS11 for {@code library} and {@code slot} and logs in with {@code pin}.
   *
   * @param slot the PKCS#11 slot id (as printed by {@code softhsm2-util --show-slots})
   */
  public static Pkcs11KeyService open(Path library, long slot, char[] pin) {
    String config =
        "--name = blocklift-"
            + slot
            + "\nlibrary = "
            + library.toAbsolutePath()
            + "\nslot = "
            + slot
            + "\n";
    Provider base = Security.getProvider("SunPKCS11");
    if (base == null) {
      throw new BlockliftException(
          "this JDK has no SunPKCS11 provider (module jdk.crypto.cryptoki)");
    }
    Provider p;
    try {
      p = base.configure(config);
    } catch (RuntimeException e) {
      throw new BlockliftException(
          "cannot load PKCS#11 library " + library + " slot " + slot + ": " + e.getMessage(), e);
    }
    return open(p, pin, "pkcs11 " + library + " slot " + slot);
  }

  /** Uses an already configured PKCS#11 provider. */
  public static Pkcs11KeyService open(Provider provider, char[] pin, String where) {
    try {
      KeyStore ks = KeyStore.getInstance("PKCS11", provider);
      ks.load(null, pin);
      return new Pkcs11KeyService(provider, ks, where);
    } catch (java.io.IOException | GeneralSecurityException e) {
      throw new BlockliftException(
          "cannot log in to " + where + " (wrong PIN or token not initialized?): " + e.getMessage(),
          e);
    }
  }

  static String alias(TenantId tenant, int version) {
    return "blocklift/" + tenant.value() + "/v" + version;
  }

  /** Key versions of {@code tenant} present in the token, ascending. */
  public synchronized List<Integer> versions(TenantId tenant) {
    List<Integer> v = new ArrayList<>();
    try {
      for (String a : Collections.list(keyStore.aliases())) {
        Matcher m = ALIAS.matcher(a);
        if (m.matches() && m.group(1).equals(tenant.value())) {
          v.add(Integer.parseInt(m.group(2)));
        }
      }
    } catch (GeneralSecurityException e) {
      throw new BlockliftException("cannot list keys in " + where + ": " + e.getMessage(), e);
    }
    Collections.sort(v);
    return v;
  }

  private synchronized int createKey(TenantId tenant, int version) {
    try {
      KeyGenerator g = KeyGenerator.getInstance("AES", provider);
      g.init(256);
      SecretKey k = g.generateKey();
      keyStore.setEntry(alias(tenant, version), new KeyStore.SecretKeyEntry(k), null);
      return version;
    } catch (GeneralSecurityException e) {
      throw new BlockliftException(
          "cannot create key " + alias(tenant, version) + " in " + where + ": " + e.getMessage(),
          e);
    }
  }

  private synchronized int currentOrCreate(TenantId tenant) {
    List<Integer> v = versions(tenant);
    return v.isEmpty() ? createKey(tenant, 1) : v.getLast();
  }

  private synchronized Key key(TenantId tenant, int version) {
    try {
      Key k = keyStore.getKey(alias(tenant, version), null);
      if (k == null) {
        throw new CorruptDataException(
            "wrapped key names " + alias(tenant, version) + ", which " + where + " does not hold");
      }
      return k;
    } catch (GeneralSecurityException e) {
      throw new BlockliftException(
          "cannot read key " + alias(tenant, version) + " from " + where + ": " + e.getMessage(),
          e);
    }
  }

  @Override
  public byte[] wrap(TenantId tenant, byte[] dataKey) {
    if (dataKey.length != DATA_KEY_BYTES) {
      throw new IllegalArgumentException("data key must be 32 bytes, got " + dataKey.length);
    }
    int version = currentOrCreate(tenant);
    byte[] header = WrappedKeyHeader.of(MAGIC, tenant, version).encode();
    try {
      return GcmKeyWrap.seal(
          Cipher.getInstance("AES/GCM/NoPadding", provider), key(tenant, version), header, dataKey);
    } catch (GeneralSecurityException e) {
      throw new BlockliftException("AES-GCM wrap in " + where + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public byte[] unwrap(TenantId tenant, byte[] wrapped) {
    WrappedKeyHeader h = WrappedKeyHeader.parse(wrapped, MAGIC, description(), tenant);
    GcmKeyWrap.checkLength(h, wrapped, DATA_KEY_BYTES);
    Key k = key(tenant, h.keyVersion());
    try {
      return GcmKeyWrap.open(Cipher.getInstance("AES/GCM/NoPadding", provider), k, h, wrapped);
    } catch (AEADBadTagException e) {
      throw new CorruptDataException(
          "wrapped data key for tenant " + tenant + " does not authenticate: altered or corrupt",
          e);
    } catch (GeneralSecurityException e) {
      // SunPKCS11 reports CKR_ENCRYPTED_DATA_INVALID / CKR_DATA_LEN_RANGE for a bad tag.
      throw new CorruptDataException(
          "wrapped data key for tenant "
              + tenant
              + " does not authenticate in "
              + where
              + ": "
              + e.getMessage(),
          e);
    }
  }

  @Override
  public synchronized void rotate(TenantId tenant) {
    List<Integer> v = versions(tenant);
    createKey(tenant, v.isEmpty() ? 1 : v.getLast() + 1);
  }

  @Override
  public String description() {
    return where;
  }

  @Override
  public String toString() {
    return description();
  }
}
