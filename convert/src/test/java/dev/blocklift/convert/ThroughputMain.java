package dev.blocklift.convert;

import dev.blocklift.chunk.ChunkSize;
import dev.blocklift.chunk.TenantId;
import dev.blocklift.core.Digest;
import dev.blocklift.core.ImageName;
import dev.blocklift.store.FsyncPolicy;
import dev.blocklift.store.local.LocalStoreProvider;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Manual figure, not a test: converts a random device of N MiB (one chunk in four a hole) into a
 * fresh local store and prints the stats. Arguments: scratch dir, MiB, fsync policy.
 */
public final class ThroughputMain {
  private ThroughputMain() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    int mib = Integer.parseInt(args[1]);
    FsyncPolicy fsync = FsyncPolicy.parse(args[2]);
    Files.createDirectories(dir);
    Path device = dir.resolve("device.img");
    SplittableRandom r = new SplittableRandom(1);
    byte[] chunk = new byte[512 * 1024];
    try (RandomAccessFile f = new RandomAccessFile(device.toFile(), "rw")) {
      f.setLength((long) mib << 20);
      for (int i = 0; i < mib * 2; i++) {
        if (i % 4 == 3) {
          continue;
        }
        r.nextBytes(chunk);
        f.seek((long) i * chunk.length);
        f.write(chunk);
      }
    }
    TestHome home =
        new TestHome(
            dir.resolve("home"), LocalStoreProvider.open(dir.resolve("home/store"), fsync));
    for (String name : new String[] {"first:1", "again:1"}) {
      ConvertResult res =
          home.converter()
              .convertDevice(
                  device,
                  Digest.sha256(new byte[] {1}),
                  TestHome.CONFIG,
                  ConvertOptions.of(ImageName.parse(name), TenantId.DEFAULT)
                      .withChunkSize(ChunkSize.DEFAULT),
                  ConvertListener.NONE);
      System.out.printf(
          "%s fsync=%s %d MiB: %.1f MB/s of data, %s%n",
          name, fsync, mib, res.stats().megabytesPerSecond(), res.stats().toMap());
    }
  }
}
