// Bench helper for bench/fuse.sh (run in Java's source-file mode on the cli classpath, so the bench
// module keeps depending on core alone): serves one converted image's lazy device as a file in a
// FUSE directory, with a chosen plaintext cache size, until stdin closes. This is the "attach only"
// half of `blocklift mount` (no loop device, no ext4), used to compare plaintext cache sizes.
//
//   java -cp CLI_CLASSPATH ServeDevice.java HOME IMAGE FUSE_DIR PLAINTEXT_CHUNKS
import dev.blocklift.agent.FuseServer;
import dev.blocklift.agent.Worker;
import dev.blocklift.chunk.TenantId;
import dev.blocklift.chunk.keys.LocalKeyring;
import dev.blocklift.core.ByteSize;
import dev.blocklift.core.ImageName;
import dev.blocklift.store.FsyncPolicy;
import dev.blocklift.store.local.LocalStoreProvider;
import dev.blocklift.cache.tier.MemoryTier;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

void main(String[] args) throws Exception {
  Path home = Path.of(args[0]);
  Worker.Options options =
      new Worker.Options(
          Duration.ofSeconds(30),
          TenantId.DEFAULT,
          ByteSize.ofKiB(512L * Integer.parseInt(args[3])),
          -1);
  try (Worker worker =
          Worker.open(
              Worker.Parts.overStore(
                  LocalStoreProvider.open(home.resolve("store"), FsyncPolicy.FULL),
                  LocalKeyring.open(home.resolve("keyring.json"), Clock.systemUTC()),
                  List.of(new MemoryTier(ByteSize.parse("512MiB").bytes())),
                  Duration.ofSeconds(30)),
              options);
      FuseServer fuse = FuseServer.mount(Path.of(args[2]))) {
    fuse.attach("image", worker.open(ImageName.parse(args[1])).device());
    System.out.println("ready");
    System.out.flush();
    while (System.in.read() >= 0) {
      // Serve until the bench closes our stdin.
    }
  }
}
