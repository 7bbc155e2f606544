package dev.blocklift.convert;

import dev.blocklift.chunk.ChunkSize;
import dev.blocklift.chunk.KeyService;
import dev.blocklift.chunk.SaltRoots;
import dev.blocklift.chunk.ServiceSecret;
import dev.blocklift.chunk.TenantId;
import dev.blocklift.chunk.keys.LocalKeyring;
import dev.blocklift.core.Digest;
import dev.blocklift.core.ImageName;
import dev.blocklift.store.FsyncPolicy;
import dev.blocklift.store.Store;
import dev.blocklift.store.local.LocalStoreProvider;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.SplittableRandom;

/** A home directory for tests: local store, keyring, service secret and salt roots. */
final class TestHome implements AutoCloseable {
  static final ChunkSize SMALL = ChunkSize.of(64 * 1024);
  static final byte[] CONFIG =
      "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);

  final Path dir;
  final Store store;
  final KeyService keys;
  final ServiceSecret secret;
  final SaltRoots roots;

  TestHome(Path dir) throws IOException {
    this(dir, LocalStoreProvider.open(dir.resolve("store"), FsyncPolicy.NONE));
  }

  TestHome(Path dir, Store store) throws IOException {
    this.dir = dir;
    this.store = store;
    this.keys = LocalKeyring.open(dir.resolve("keyring.json"), Clock.systemUTC());
    this.secret = ServiceSecret.loadOrCreate(dir.resolve("service-secret"));
    this.roots = new SaltRoots(dir.resolve("salt-roots.json"), Clock.systemUTC());
  }

  Converter converter() {
    return new Converter(store, keys, secret, roots, dir.resolve("tmp"), System::nanoTime);
  }

  static ConvertOptions options(String name) {
    return ConvertOptions.of(ImageName.parse(name), TenantId.DEFAULT)
        .withChunkSize(SMALL)
        .withConcurrency(2, 8, 4);
  }

  ConvertResult convert(Path device, String name) throws IOException {
    return convert(device, name, options(name));
  }

  ConvertResult convert(Path device, String name, ConvertOptions options) throws IOException {
    return converter()
        .convertDevice(
            device,
            Digest.sha256(name.getBytes(StandardCharsets.UTF_8)),
            CONFIG,
            options,
            ConvertListener.NONE);
  }

  ImageVerifier verifier() {
    return new ImageVerifier(store, keys, roots, 8);
  }

  /**
   * Writes a sparse device of {@code chunks} chunks of {@link #SMALL}: every third chunk a hole,
   * the others random from {@code seed}, and chunk 4 a copy of chunk 1 (a duplicate).
   */
  static Path device(Path file, int chunks, long seed) throws IOException {
    SplittableRandom random = new SplittableRandom(seed);
    int size = SMALL.bytes();
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.setLength((long) chunks * size);
      byte[] one = null;
      for (int i = 0; i < chunks; i++) {
        if (i % 3 == 2) {
          continue;
        }
        byte[] b = new byte[size];
        random.nextBytes(b);
        if (i == 1) {
          one = b;
        }
        if (i == 4 && one != null) {
          b = one;
        }
        f.seek((long) i * size);
        f.write(b);
      }
    }
    return file;
  }

  /**
   * As {@link #device}, but without the duplicate and with the data chunks at even indexes
   * compressible (each byte one random bit); the odd ones are random.
   */
  static Path compressibleDevice(Path file, int chunks, long seed) throws IOException {
    SplittableRandom random = new SplittableRandom(seed);
    int size = SMALL.bytes();
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.setLength((long) chunks * size);
      for (int i = 0; i < chunks; i++) {
        if (i % 3 == 2) {
          continue;
        }
        byte[] b = new byte[size];
        random.nextBytes(b);
        if (i % 2 == 0) {
          for (int k = 0; k < size; k++) {
            b[k] &= 0x01;
          }
        }
        f.seek((long) i * size);
        f.write(b);
      }
    }
    return file;
  }

  /** Overwrites chunk {@code index} of a device with fresh random bytes. */
  static void rewriteChunk(Path file, int index, long seed) throws IOException {
    byte[] b = new byte[SMALL.bytes()];
    new SplittableRandom(seed).nextBytes(b);
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek((long) index * SMALL.bytes());
      f.write(b);
    }
  }

  @Override
  public void close() throws Exception {
    store.close();
    keys.close();
  }
}
