package dev.blocklift.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.cache.tier.MemoryTier;
import dev.blocklift.chunk.TenantId;
import dev.blocklift.chunk.keys.LocalKeyring;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ByteSize;
import dev.blocklift.core.ImageName;
import dev.blocklift.store.Store;
import dev.blocklift.store.Stores;
import dev.blocklift.testing.Requirements;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store that serves an older manifest for a tag than one this machine has opened (a rollback) is
 * refused, across workers sharing the record.
 */
class SeenTagsTest {
  @TempDir Path tmp;

  private Worker worker(Path home) throws Exception {
    return Worker.open(
        Worker.Parts.overStore(
            Stores.open(home.resolve("store").toString()),
            LocalKeyring.open(home.resolve("keyring.json"), Clock.systemUTC()),
            List.of(new MemoryTier(ByteSize.ofMiB(8).bytes())),
            Duration.ofSeconds(20)),
        new Worker.Options(
            Duration.ofSeconds(20),
            TenantId.DEFAULT,
            ByteSize.ofMiB(2),
            -1,
            Optional.of(SeenTags.open(home.resolve("seen-tags.json"))),
            ChunkFetcher.DEFAULT_RETRY_AFTER));
  }

  @Test
  void anOlderManifestForATagIsRefusedAsARollback() throws Exception {
    Requirements.commands("mkfs.ext4");
    Path home = tmp.resolve("home");
    ImageName name = ImageName.parse("team/app:1");
    WorkerEndToEndTest.convertFixture(tmp.resolve("a"), home, name.toString());
    byte[] first;
    try (Store s = Stores.open(home.resolve("store").toString())) {
      first = s.manifests().get(name).orElseThrow();
    }
    try (Worker w = worker(home)) {
      w.open(name).device().close();
    }
    WorkerEndToEndTest.convertFixture(tmp.resolve("b"), home, name.toString());
    try (Worker w = worker(home)) {
      w.open(name).device().close(); // newer: fine, and recorded
    }
    assertEquals(
        "rw-------",
        PosixFilePermissions.toString(
            Files.getPosixFilePermissions(home.resolve("seen-tags.json"))));
    try (Store s = Stores.open(home.resolve("store").toString())) {
      s.manifests().publish(name, first); // the store rolls the tag back
    }
    try (Worker w = worker(home)) {
      BlockliftException e = assertThrows(BlockliftException.class, () -> w.open(name));
      assertTrue(e.getMessage().contains("a rollback"), e.getMessage());
    }
  }
}
