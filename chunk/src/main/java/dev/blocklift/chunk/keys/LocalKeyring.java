package dev.blocklift.chunk.keys;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.blocklift.chunk.KeyService;
import dev.blocklift.chunk.SecureFiles;
import dev.blocklift.chunk.TenantId;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.CorruptDataException;
import dev.blocklift.core.Hex;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * The embedded default key service: tenant keys (AES-256, every version ever made) in a JSON file
 * of mode 0600, by convention {@code $BLOCKLIFT_HOME/keyring.json}. A keyring that group or others
 * may access is refused with a message saying {@code chmod 600}.
 *
 * <p>Wrapped key: {@code "BLKR" | u8 1 | u16 len + tenant | u32 key version | 12-byte random nonce
 * | AES-256-GCM(tenant key, data key, aad = the header before the nonce)} (48 bytes).
 *
 * <p>The file is re-read on every call (it is small) and changed under an exclusive lock on {@code
 * FILE.lock} with an atomic rename, so several processes may share it. {@link #wrap} creates the
 * tenant's first key on demand.
 */
public final class LocalKeyring implements KeyService {
  static final String MAGIC = "BLKR";
  static final String FORMAT = "blocklift-keyring";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Path file;
  private final Clock clock;

  private LocalKeyring(Path file, Clock clock) {
    this.file = file;
    this.clock = clock;
  }

  /**
   * Opens (creating an empty 0600 keyring if absent) {@code file}.
   *
   * @throws BlockliftException if the file is group/world-accessible or corrupt
   */
  public static LocalKeyring open(Path file, Clock clock) throws IOException {
    LocalKeyring k = new LocalKeyring(file, clock);
    if (!Files.exists(file)) {
      SecureFiles.createOwnerOnly(file, k.toJson(new TreeMap<>()));
    }
    k.read();
    return k;
  }

  public Path file() {
    return file;
  }

  /** Tenants with at least one key. */
  public List<TenantId> tenants() {
    return List.copyOf(read().keySet());
  }

  /** Current (highest) key version of {@code tenant}, 0 if it has none. */
  public int currentVersion(TenantId tenant) {
    List<KeyVersion> v = read().get(tenant);
    return v == null ? 0 : v.getLast().version();
  }

  /** Creates the tenant's first key if it has none; returns its current version. */
  public int ensureTenant(TenantId tenant) {
    List<KeyVersion> v = read().get(tenant);
    if (v != null) {
      return v.getLast().version();
    }
    return update(
        m -> {
          List<KeyVersion> list = m.computeIfAbsent(tenant, t -> new ArrayList<>());
          if (list.isEmpty()) {
            list.add(newKey(1));
          }
          return list.getLast().version();
        });
  }

  @Override
  public byte[] wrap(TenantId tenant, byte[] dataKey) {
    if (dataKey.length != DATA_KEY_BYTES) {
      throw new IllegalArgumentException("data key must be 32 bytes, got " + dataKey.length);
    }
    ensureTenant(tenant);
    KeyVersion key = read().get(tenant).getLast();
    byte[] header = WrappedKeyHeader.of(MAGIC, tenant, key.version()).encode();
    try {
      return GcmKeyWrap.seal(
          Cipher.getInstance("AES/GCM/NoPadding"),
          new SecretKeySpec(key.key(), "AES"),
          header,
          dataKey);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-GCM is not available in this JDK", e);
    }
  }

  @Override
  public byte[] unwrap(TenantId tenant, byte[] wrapped) {
    WrappedKeyHeader h = WrappedKeyHeader.parse(wrapped, MAGIC, description(), tenant);
    List<KeyVersion> versions = read().get(tenant);
    if (versions == null) {
      throw new BlockliftException(
          "keyring " + file + " has no key for tenant " + tenant + "; is this the right keyring?");
    }
    KeyVersion key =
        versions.stream()
            .filter(v -> v.version() == h.keyVersion())
            .findFirst()
            .orElseThrow(
                () ->
                    new CorruptDataException(
                        "wrapped key names version "
                            + h.keyVersion()
                            + " of tenant "
                            + tenant
                            + ", which keyring "
                            + file
                            + " does not have"));
    GcmKeyWrap.checkLength(h, wrapped, DATA_KEY_BYTES);
    try {
      return GcmKeyWrap.open(
          Cipher.getInstance("AES/GCM/NoPadding"), new SecretKeySpec(key.key(), "AES"), h, wrapped);
    } catch (AEADBadTagException e) {
      throw new CorruptDataException(
          "wrapped data key for tenant " + tenant + " does not authenticate: altered or corrupt",
          e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-GCM is not available in this JDK", e);
    }
  }

  @Override
  public void rotate(TenantId tenant) {
    update(
        m -> {
          List<KeyVersion> list = m.computeIfAbsent(tenant, t -> new ArrayList<>());
          list.add(newKey(list.isEmpty() ? 1 : list.getLast().version() + 1));
          return null;
        });
  }

  @Override
  public String description() {
    return "keyring " + file;
  }

  private KeyVersion newKey(int version) {
    byte[] k = new byte[32];
    RANDOM.nextBytes(k);
    return new KeyVersion(version, clock.instant(), k);
  }

  // ---- persistence ----

  @SuppressWarnings("ArrayRecordComponent")
  private record KeyVersion(int version, Instant created, byte[] key) {}

  private <T> T update(Function<Map<TenantId, List<KeyVersion>>, T> change) {
    Path lockFile = file.resolveSibling(file.getFileName() + ".lock");
    try (FileChannel ch =
            FileChannel.open(
                lockFile,
                java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rw-------")));
        FileLock lock = ch.lock()) {
      Map<TenantId, List<KeyVersion>> m = read();
      T result = change.apply(m);
      SecureFiles.writeAtomically(file, toJson(m));
      return result;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot update keyring " + file + ": " + e.getMessage(), e);
    }
  }

  private Map<TenantId, List<KeyVersion>> read() {
    byte[] data;
    try {
      SecureFiles.requireOwnerOnly(file, "keyring");
      data = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read keyring " + file + ": " + e.getMessage(), e);
    }
    try {
      JsonNode o = JSON.readTree(data);
      if (o == null || !FORMAT.equals(o.path("format").asText())) {
        throw bad("format", "is not \"" + FORMAT + "\"");
      }
      if (o.path("version").asInt(-1) != 1) {
        throw bad("version", "is " + o.path("version") + ", expected 1");
      }
      Map<TenantId, List<KeyVersion>> m = new TreeMap<>();
      JsonNode tenants = o.path("tenants");
      if (!tenants.isObject()) {
        throw bad("tenants", "is not an object");
      }
      for (Map.Entry<String, JsonNode> e : tenants.properties()) {
        TenantId t = TenantId.of(e.getKey());
        List<KeyVersion> list = new ArrayList<>();
        for (JsonNode k : e.getValue()) {
          int v = k.path("version").asInt(-1);
          if (v != list.size() + 1) {
            throw bad("tenants." + t + ".version", "is " + v + ", expected " + (list.size() + 1));
          }
          byte[] key = Hex.decode(k.path("key").asText());
          if (key.length != 32) {
            throw bad("tenants." + t + ".key", "is not 32 bytes");
          }
          list.add(new KeyVersion(v, Instant.parse(k.path("created").asText()), key));
        }
        if (!list.isEmpty()) {
          m.put(t, list);
        }
      }
      return m;
    } catch (IOException | IllegalArgumentException | java.time.DateTimeException e) {
      throw new CorruptDataException("keyring " + file + " is corrupt: " + e.getMessage(), e);
    }
  }

  private CorruptDataException bad(String field, String why) {
    return new CorruptDataException("keyring " + file + ": field " + field + " " + why);
  }

  private byte[] toJson(Map<TenantId, List<KeyVersion>> m) {
    ObjectNode o = JSON.createObjectNode();
    o.put("format", FORMAT);
    o.put("version", 1);
    ObjectNode tenants = o.putObject("tenants");
    for (Map.Entry<TenantId, List<KeyVersion>> e : m.entrySet()) {
      ArrayNode a = tenants.putArray(e.getKey().value());
      for (KeyVersion k : e.getValue()) {
        ObjectNode n = a.addObject();
        n.put("version", k.version());
        n.put("created", k.created().toString());
        n.put("key", Hex.encode(k.key()));
      }
    }
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(o);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String toString() {
    return description();
  }
}
