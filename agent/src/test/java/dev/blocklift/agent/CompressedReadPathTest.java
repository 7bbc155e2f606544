package dev.blocklift.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.chunk.ChunkSize;
import dev.blocklift.chunk.Compression;
import dev.blocklift.chunk.ConvergentEncryption;
import dev.blocklift.chunk.EncryptedChunk;
import dev.blocklift.chunk.ManifestBuilder;
import dev.blocklift.chunk.OpenedManifest;
import dev.blocklift.chunk.Salt;
import dev.blocklift.chunk.TenantId;
import dev.blocklift.chunk.keys.LocalKeyring;
import dev.blocklift.core.Digest;
import dev.blocklift.store.FakeChunkSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The read path over a real sealed manifest whose chunks are stored compressed (or raw): a device
 * reads back exactly the image's bytes, and what it and the store count as fetched is the stored
 * (compressed, encrypted) bytes, not the plaintext.
 */
class CompressedReadPathTest {
  static final int CHUNK = 64 * 1024;

  @TempDir Path dir;

  /** 10 chunks and a short one: compressible, random and hole chunks. */
  static byte[] image(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    byte[] img = new byte[10 * CHUNK + 12_345];
    r.nextBytes(img);
    for (int c = 0; c * CHUNK < img.length; c++) {
      int from = c * CHUNK;
      int to = Math.min(img.length, from + CHUNK);
      switch (c % 4) {
        case 0, 2 -> { // compressible: two random bits a byte
          for (int i = from; i < to; i++) {
            img[i] &= 0x03;
          }
        }
        case 3 -> Arrays.fill(img, from, to, (byte) 0); // a hole
        default -> {} // random
      }
    }
    return img;
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  void aDeviceReadsTheImageAndCountsStoredBytes(Compression compression) throws Exception {
    byte[] img = image(31);
    Salt salt = Salt.of(new byte[32]);
    ManifestBuilder b =
        new ManifestBuilder(
            Digest.sha256(img),
            "{}".getBytes(StandardCharsets.UTF_8),
            ChunkSize.of(CHUNK),
            img.length,
            "root-1",
            salt);
    FakeChunkSource src = new FakeChunkSource();
    long stored = 0;
    long plaintext = 0;
    int compressed = 0;
    for (int c = 0; c * CHUNK < img.length; c++) {
      int from = c * CHUNK;
      int len = Math.min(CHUNK, img.length - from);
      if (c % 4 == 3) {
        b.hole(c);
        continue;
      }
      EncryptedChunk e = ConvergentEncryption.encrypt(salt, img, from, len, compression);
      src.put(e.name(), e.ciphertext());
      b.chunk(c, e);
      stored += e.storedLength();
      plaintext += len;
      compressed += e.compressed() ? 1 : 0;
    }
    assertEquals(compression == Compression.ZSTD ? 6 : 0, compressed, "chunks 0, 2, 4, 6, 8, 10");

    try (LocalKeyring keys = LocalKeyring.open(dir.resolve("keyring.json"), Clock.systemUTC())) {
      TenantId tenant = TenantId.of("team-a");
      dev.blocklift.core.ImageName name = dev.blocklift.core.ImageName.parse("test/img:1");
      OpenedManifest opened =
          OpenedManifest.open(
              b.seal(
                  keys,
                  tenant,
                  name,
                  1,
                  dev.blocklift.chunk.ServiceSecret.of(new byte[32]).manifestMac()),
              keys,
              tenant,
              name);
      ManifestChunkMap map = new ManifestChunkMap(opened, "img");
      StoreCounter store = new StoreCounter(src);
      try (ChunkFetcher fetcher = new ChunkFetcher(store, Duration.ofSeconds(30));
          LazyDevice dev = new LazyDevice(map, fetcher, 0)) {
        byte[] out = new byte[img.length];
        for (int off = 0; off < img.length; off += CHUNK) {
          dev.read(off, out, off, Math.min(CHUNK, img.length - off));
        }
        assertArrayEquals(img, out, compression.toString());
        assertEquals(stored, dev.fetchedBytes(), "the device counts stored bytes");
        assertEquals(stored, store.bytes(), "so does the store counter");
        assertEquals(9, dev.fetches(), "11 chunks, 2 of them holes");
        if (compression == Compression.ZSTD) {
          assertTrue(stored < 0.7 * plaintext, stored + " of " + plaintext);
        } else {
          assertEquals(plaintext + 9 * 29L, stored);
        }

        // a store that hands out damaged bytes: refused, never served
        src.corruptReads(true);
        byte[] buf = new byte[100];
        assertThrows(IOException.class, () -> dev.read(0, buf, 0, buf.length));
      }
    }
  }
}
