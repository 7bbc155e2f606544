package dev.blocklift.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.cache.CacheTier;
import dev.blocklift.cache.tier.DiskTier;
import dev.blocklift.cache.tier.MemoryTier;
import dev.blocklift.chunk.SaltRoots;
import dev.blocklift.chunk.ServiceSecret;
import dev.blocklift.chunk.TenantId;
import dev.blocklift.chunk.keys.LocalKeyring;
import dev.blocklift.convert.ConvertListener;
import dev.blocklift.convert.ConvertOptions;
import dev.blocklift.convert.Converter;
import dev.blocklift.core.ByteSize;
import dev.blocklift.core.ChunkName;
import dev.blocklift.core.Digest;
import dev.blocklift.core.ImageName;
import dev.blocklift.store.Store;
import dev.blocklift.store.StoredChunk;
import dev.blocklift.store.Stores;
import dev.blocklift.testing.Requirements;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole worker path with the real parts: an ext4 image converted by the convert module into a
 * local store (manifest sealed with a local keyring), opened by a {@link Worker} with memory and
 * disk tiers, run by runc.
 */
class WorkerEndToEndTest {
  static final byte[] CONFIG =
      ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{"
              + "\"Env\":[\"PATH=/bin\",\"WHO=world\"],\"Cmd\":[\"sh\",\"-c\",\"echo hello $WHO\"],"
              + "\"WorkingDir\":\"/data\"}}")
          .getBytes(StandardCharsets.UTF_8);

  @TempDir Path tmp;

  /** Converts the busybox fixture into {@code home/store}; returns the device bytes. */
  static byte[] convertFixture(Path tmp, Path home, String name) throws Exception {
    Path img = Ext4Fixture.busyboxImage(tmp, 9);
    try (Store store = Stores.open(home.resolve("store").toString());
        LocalKeyring keys = LocalKeyring.open(home.resolve("keyring.json"), Clock.systemUTC())) {
      new Converter(
              store,
              keys,
              ServiceSecret.loadOrCreate(home.resolve("service-secret")),
              new SaltRoots(home.resolve("salt-roots.json"), Clock.systemUTC()),
              tmp.resolve("scratch"),
              System::nanoTime)
          .convertDevice(
              img,
              Digest.sha256(CONFIG),
              CONFIG,
              ConvertOptions.of(ImageName.parse(name), TenantId.DEFAULT),
              ConvertListener.NONE);
    }
    return Files.readAllBytes(img);
  }

  @Test
  void aConvertedImageRunsAndReadsByteForByte() throws Exception {
    Requirements.root();
    Requirements.fuse();
    Requirements.loopDevices();
    Requirements.commands("runc", "mkfs.ext4");
    Path home = tmp.resolve("home");
    byte[] device = convertFixture(tmp, home, "busybox:1");
    Worker.Options options =
        new Worker.Options(Duration.ofSeconds(20), TenantId.DEFAULT, ByteSize.ofMiB(2), -1);
    Store store = Stores.open(home.resolve("store").toString());
    long storedBytes;
    try (Stream<StoredChunk> s = store.chunks().list()) {
      storedBytes = s.mapToLong(StoredChunk::size).sum();
    }
    try (Worker w =
        Worker.open(
            Worker.Parts.overStore(
                store,
                LocalKeyring.open(home.resolve("keyring.json"), Clock.systemUTC()),
                List.of(
                    new MemoryTier(ByteSize.ofMiB(64).bytes()),
                    DiskTier.open(
                        home.resolve("cache"),
                        ByteSize.ofMiB(256).bytes(),
                        DiskTier.LoadCheck.ON_READ)),
                Duration.ofSeconds(20)),
            options)) {
      Worker.Image image = w.open(ImageName.parse("busybox:1"));
      assertEquals(device.length, image.device().size());
      Path out = tmp.resolve("out.txt");
      int exit;
      try (ContainerRun run =
          ContainerRun.prepare(
              tmp.resolve("run"),
              "blocklift-e2e-" + ProcessHandle.current().pid(),
              image.device(),
              image.config(),
              List.of("sh", "-c", "echo hello $WHO; pwd; echo x > /tmp/f; sync; exit 5"))) {
        exit = run.run(ProcessBuilder.Redirect.to(out.toFile()), ProcessBuilder.Redirect.INHERIT);
        assertTrue(Files.exists(run.upperDir().resolve("tmp/f")), "the write is on the scratch");
      }
      assertEquals(5, exit);
      assertEquals("hello world\n/data\n", Files.readString(out, StandardCharsets.UTF_8));
      long fetched = w.fetcher().metrics().bytesFetched();
      assertTrue(fetched > 0 && fetched < storedBytes, fetched + " of " + storedBytes);

      // Every tier holds exactly what the store holds under each name: the container's writes
      // never reached a cached chunk.
      Map<ChunkName, byte[]> cached = new HashMap<>();
      for (CacheTier t : w.chain().tiers()) {
        try (Stream<StoredChunk> s = store.chunks().list()) {
          for (StoredChunk c : s.toList()) {
            if (t.exists(c.name())) {
              byte[] bytes = t.get(c.name()).orElseThrow();
              assertArrayEquals(store.chunks().get(c.name()).orElseThrow(), bytes);
              cached.put(c.name(), bytes);
            }
          }
        }
      }
      assertTrue(!cached.isEmpty(), "the tiers were filled");

      // The whole device, read lazily, equals the converted image byte for byte.
      byte[] all = new byte[device.length];
      image.device().read(0, all, 0, all.length);
      assertArrayEquals(device, all);
    }
  }
}
