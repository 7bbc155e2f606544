package dev.blocklift.chunk.keys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.chunk.KeyService;
import dev.blocklift.chunk.TenantId;
import dev.blocklift.core.BlockliftException;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link KeyService} implementation passes: its test extends this class and
 * supplies {@link #newService()}.
 */
public abstract class KeyServiceContract {
  protected KeyService service;
  private final String run = UUID.randomUUID().toString().substring(0, 8);

  /** A service for one test; tests use fresh tenant names, so a shared backend is fine. */
  protected abstract KeyService newService() throws Exception;

  /** Byte positions of a blob at which a flipped bit must be detected (all, by default). */
  protected int[] tamperPositions(byte[] blob) {
    int[] p = new int[blob.length];
    Arrays.setAll(p, i -> i);
    return p;
  }

  @BeforeEach
  void setUp() throws Exception {
    service = newService();
  }

  @AfterEach
  void tearDown() {
    if (service != null) {
      service.close();
    }
  }

  protected TenantId tenant(String name) {
    return TenantId.of(name + "-" + run);
  }

  protected static byte[] randomKey(long seed) {
    byte[] k = new byte[KeyService.DATA_KEY_BYTES];
    new SplittableRandom(seed).nextBytes(k);
    return k;
  }

  @Test
  void roundTrip() {
    TenantId a = tenant("a");
    for (long seed = 1; seed <= 3; seed++) {
      byte[] key = randomKey(seed);
      byte[] wrapped = service.wrap(a, key);
      assertArrayEquals(key, service.unwrap(a, wrapped), "seed " + seed);
    }
  }

  @Test
  void wrappingTwiceGivesDifferentBlobsThatBothUnwrap() {
    TenantId a = tenant("a");
    byte[] key = randomKey(42);
    byte[] w1 = service.wrap(a, key);
    byte[] w2 = service.wrap(a, key);
    assertFalse(Arrays.equals(w1, w2), "wrapping must be randomized");
    assertArrayEquals(key, service.unwrap(a, w1));
    assertArrayEquals(key, service.unwrap(a, w2));
  }

  @Test
  void tenantBCannotUnwrapTenantAsKey() {
    TenantId a = tenant("a");
    TenantId b = tenant("b");
    byte[] keyA = randomKey(7);
    byte[] wrappedA = service.wrap(a, keyA);
    service.wrap(b, randomKey(8)); // b exists and has its own key
    BlockliftException e =
        assertThrows(BlockliftException.class, () -> service.unwrap(b, wrappedA));
    assertTrue(e.getMessage().contains(b.value()), e.getMessage());
  }

  @Test
  void oldWrappedKeysStillUnwrapAfterRotation() {
    Assumptions.assumeTrue(
        service.supportsRotation(), service.description() + " rotates keys by itself");
    TenantId a = tenant("a");
    byte[] k1 = randomKey(1);
    byte[] before = service.wrap(a, k1);
    service.rotate(a);
    byte[] k2 = randomKey(2);
    byte[] after = service.wrap(a, k2);
    service.rotate(a);
    assertArrayEquals(k1, service.unwrap(a, before));
    assertArrayEquals(k2, service.unwrap(a, after));
    assertFalse(
        Arrays.equals(
            Arrays.copyOf(before, before.length - 60), Arrays.copyOf(after, after.length - 60)),
        "a rotated key must show in the blob header (key version)");
  }

  @Test
  void everyFlippedBitIsDetected() {
    TenantId a = tenant("a");
    byte[] key = randomKey(99);
    byte[] wrapped = service.wrap(a, key);
    SplittableRandom r = new SplittableRandom(99);
    for (int pos : tamperPositions(wrapped)) {
      byte[] t = wrapped.clone();
      int bit = r.nextInt(8);
      t[pos] ^= (byte) (1 << bit);
      byte[][] got = new byte[1][];
      assertThrows(
          BlockliftException.class,
          () -> got[0] = service.unwrap(a, t),
          "flipped bit " + bit + " of byte " + pos + " went unnoticed");
    }
  }

  @Test
  void truncatedOrEmptyBlobsFail() {
    TenantId a = tenant("a");
    byte[] wrapped = service.wrap(a, randomKey(5));
    assertThrows(BlockliftException.class, () -> service.unwrap(a, new byte[0]));
    assertThrows(BlockliftException.class, () -> service.unwrap(a, Arrays.copyOf(wrapped, 7)));
    assertThrows(
        BlockliftException.class,
        () -> service.unwrap(a, Arrays.copyOf(wrapped, wrapped.length - 1)));
  }

  @Test
  void refusesDataKeysOfTheWrongLength() {
    assertThrows(IllegalArgumentException.class, () -> service.wrap(tenant("a"), new byte[16]));
  }
}
