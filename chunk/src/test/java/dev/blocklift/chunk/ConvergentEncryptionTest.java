package dev.blocklift.chunk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.ChunkName;
import dev.blocklift.core.CorruptChunkException;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/** Seeded property tests of convergent encryption. Each failure message carries its seed. */
class ConvergentEncryptionTest {
  private static final int[] LENGTHS = {
    1, 15, 16, 17, 4095, 65536, 65537, 100_000, 524_288, ChunkSize.MAX
  };

  @SuppressWarnings("ArrayRecordComponent")
  record Case(long seed, Salt salt, byte[] plaintext) {
    static Case of(long seed) {
      SplittableRandom r = new SplittableRandom(seed);
      byte[] s = new byte[32];
      r.nextBytes(s);
      int length = r.nextBoolean() ? LENGTHS[r.nextInt(LENGTHS.length)] : 1 + r.nextInt(1 << 20);
      byte[] p = new byte[length];
      r.nextBytes(p);
      return new Case(seed, Salt.of(s), p);
    }

    String why() {
      return "seed " + seed + ", plaintext length " + plaintext.length;
    }
  }

  private static long seed(RepetitionInfo info) {
    return 0xB10C_0000L + info.getCurrentRepetition();
  }

  @RepeatedTest(24)
  void roundTripsAndIsConvergent(RepetitionInfo info) {
    Case c = Case.of(seed(info));
    EncryptedChunk e = ConvergentEncryption.encrypt(c.salt(), c.plaintext());
    assertEquals(c.plaintext().length + 16, e.ciphertext().length, c.why());
    assertEquals(ChunkName.ofCiphertext(e.ciphertext()), e.name(), c.why());
    assertArrayEquals(
        c.plaintext(),
        ConvergentEncryption.decrypt(e.name(), e.key(), c.salt(), e.ciphertext(), "test"),
        c.why());

    // same salt + plaintext -> same key and name, even from an offset in a larger buffer
    byte[] padded = new byte[c.plaintext().length + 10];
    System.arraycopy(c.plaintext(), 0, padded, 7, c.plaintext().length);
    EncryptedChunk again = ConvergentEncryption.encrypt(c.salt(), padded, 7, c.plaintext().length);
    assertEquals(e.name(), again.name(), c.why());
    assertEquals(e.key(), again.key(), c.why());
    assertArrayEquals(e.ciphertext(), again.ciphertext(), c.why());
  }

  @RepeatedTest(12)
  void differentSaltGivesDifferentNameAndKey(RepetitionInfo info) {
    Case c = Case.of(seed(info));
    byte[] other = c.salt().bytes();
    other[new SplittableRandom(c.seed()).nextInt(32)] ^= 1;
    EncryptedChunk a = ConvergentEncryption.encrypt(c.salt(), c.plaintext());
    EncryptedChunk b = ConvergentEncryption.encrypt(Salt.of(other), c.plaintext());
    assertNotEquals(a.name(), b.name(), c.why());
    assertNotEquals(a.key(), b.key(), c.why());
  }

  @RepeatedTest(12)
  void aFlippedCiphertextBitIsCaught(RepetitionInfo info) {
    Case c = Case.of(seed(info));
    EncryptedChunk e = ConvergentEncryption.encrypt(c.salt(), c.plaintext());
    SplittableRandom r = new SplittableRandom(c.seed() * 31);
    byte[] t = e.ciphertext().clone();
    int pos = r.nextInt(t.length);
    t[pos] ^= (byte) (1 << r.nextInt(8));
    CorruptChunkException ex =
        assertThrows(
            CorruptChunkException.class,
            () -> ConvergentEncryption.decrypt(e.name(), e.key(), c.salt(), t, "store x"),
            c.why() + ", flipped byte " + pos);
    assertEquals(e.name(), ex.chunkName());
    assertTrue(ex.getMessage().contains("does not hash to its name"), ex.getMessage());
  }

  @RepeatedTest(8)
  void aWrongKeyOrSaltFailsTheTagEvenWhenTheNameMatches(RepetitionInfo info) {
    Case c = Case.of(seed(info));
    EncryptedChunk e = ConvergentEncryption.encrypt(c.salt(), c.plaintext());
    byte[] k = e.key().bytes();
    k[0] ^= 1;
    CorruptChunkException wrongKey =
        assertThrows(
            CorruptChunkException.class,
            () ->
                ConvergentEncryption.decrypt(
                    e.name(), ChunkKey.of(k), c.salt(), e.ciphertext(), "test"),
            c.why());
    assertTrue(wrongKey.getMessage().contains("GCM"), wrongKey.getMessage());
    byte[] s = c.salt().bytes();
    s[31] ^= 1;
    assertThrows(
        CorruptChunkException.class,
        () -> ConvergentEncryption.decrypt(e.name(), e.key(), Salt.of(s), e.ciphertext(), "test"),
        c.why());
  }

  @Test
  void aForgedChunkWhoseNameMatchesButTagDoesNotIsCaught() {
    Salt salt = Salt.of(new byte[32]);
    EncryptedChunk e =
        ConvergentEncryption.encrypt(
            salt, "data".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    byte[] forged = e.ciphertext().clone();
    forged[0] ^= 1;
    // the attacker also controls the name (e.g. a tampered, unauthenticated public part)
    ChunkName forgedName = ChunkName.ofCiphertext(forged);
    assertThrows(
        CorruptChunkException.class,
        () -> ConvergentEncryption.decrypt(forgedName, e.key(), salt, forged, "test"));
    assertThrows(
        CorruptChunkException.class,
        () ->
            ConvergentEncryption.decrypt(
                ChunkName.ofCiphertext(new byte[3]), e.key(), salt, new byte[3], "test"));
  }

  @Test
  void secretsNeverPrint() {
    Salt salt = Salt.of(new byte[32]);
    EncryptedChunk e = ConvergentEncryption.encrypt(salt, new byte[] {1, 2, 3});
    assertTrue(
        !salt.toString().contains("00000000") && !e.key().toString().contains(e.key().toHex()));
    assertThrows(IllegalArgumentException.class, () -> Salt.of(new byte[31]));
    assertThrows(IllegalArgumentException.class, () -> ChunkKey.of(new byte[33]));
    assertTrue(Arrays.equals(salt.bytes(), new byte[32]));
  }
}
