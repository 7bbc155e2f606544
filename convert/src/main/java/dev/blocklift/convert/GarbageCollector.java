package dev.blocklift.convert;

import dev.blocklift.chunk.Manifest;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ChunkName;
import dev.blocklift.core.CorruptDataException;
import dev.blocklift.core.ImageName;
import dev.blocklift.store.Store;
import dev.blocklift.store.StoredChunk;
import dev.blocklift.store.local.LocalChunkStore;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Mark and sweep over a store: chunks referenced by no published manifest and older than a grace
 * period are deleted.
 *
 * <p>Why this is safe against a concurrent {@code convert}:
 *
 * <ol>
 *   <li>chunks are listed <em>before</em> manifests are read, so a manifest published after the
 *       listing references only chunks that were either uploaded or {@linkplain
 *       dev.blocklift.store.ChunkStore#touch touched} by its conversion — both make them younger
 *       than the grace period, provided a conversion takes less time than the grace period;
 *   <li>each candidate's age is read again right before it is deleted, so a chunk touched since the
 *       listing is spared;
 *   <li>a conversion re-checks that all its chunks are stored right before publishing its manifest
 *       (re-uploading any that went missing), and publishes last.
 * </ol>
 *
 * A manifest that cannot be parsed, or whose MAC (under the service secret) does not verify, stops
 * the collection before anything is deleted: it might reference anything, and a changed chunk table
 * must not make gc delete a chunk the real image needs.
 *
 * <p>It also removes what killed or crashed writers left behind: temporary chunk files of a local
 * store and flattened devices in the scratch directory, if given ({@link ScratchDevices}): those of
 * processes that are gone, never a live one's.
 */
public final class GarbageCollector {
  private final Store store;
  private final Clock clock;
  private final dev.blocklift.chunk.ManifestMac mac;
  private final Optional<Path> scratchDir;

  /**
   * @param mac the manifest MAC of the store's service secret: a manifest that fails it (or has
   *     none) stops the collection before anything is deleted
   */
  public GarbageCollector(Store store, Clock clock, dev.blocklift.chunk.ManifestMac mac) {
    this(store, clock, mac, Optional.empty());
  }

  /**
   * @param scratchDir the conversions' scratch directory ({@code HOME/tmp}), whose leftover devices
   *     are removed too
   */
  public GarbageCollector(
      Store store, Clock clock, dev.blocklift.chunk.ManifestMac mac, Optional<Path> scratchDir) {
    this.store = store;
    this.clock = clock;
    this.mac = mac;
    this.scratchDir = scratchDir;
  }

  public GcResult collect(Duration grace, boolean dryRun) throws IOException {
    if (grace.isNegative()) {
      throw new IllegalArgumentException("grace period must not be negative, got " + grace);
    }
    Instant cutoff = clock.instant().minus(grace);
    List<StoredChunk> old = new ArrayList<>();
    long listed = 0;
    long young = 0;
    Set<ChunkName> present = new HashSet<>();
    try (Stream<StoredChunk> all = store.chunks().list()) {
      for (StoredChunk c : (Iterable<StoredChunk>) all::iterator) {
        listed++;
        present.add(c.name());
        if (c.lastModified().isBefore(cutoff)) {
          old.add(c);
        }
      }
    }
    Set<ChunkName> referenced = new HashSet<>();
    List<ImageName> names = store.manifests().list();
    int manifests = 0;
    for (ImageName name : names) {
      Optional<byte[]> bytes = store.manifests().get(name);
      if (bytes.isEmpty()) {
        continue; // deleted meanwhile
      }
      try {
        Manifest m = Manifest.parse(bytes.get());
        m.verifyMac(mac); // the chunk table is trusted only once authenticated
        referenced.addAll(m.distinctChunks());
      } catch (CorruptDataException | IllegalArgumentException e) {
        throw new BlockliftException(
            "gc stopped before deleting anything: manifest "
                + name
                + " in "
                + store.uri()
                + " is unreadable ("
                + e.getMessage()
                + "); fix or delete it first",
            e);
      }
      manifests++;
    }
    long missing = referenced.stream().filter(n -> !present.contains(n)).count();
    long swept = 0;
    long bytes = 0;
    for (StoredChunk c : old) {
      if (referenced.contains(c.name())) {
        continue;
      }
      Optional<StoredChunk> now = store.chunks().stat(c.name());
      if (now.isEmpty()) {
        continue;
      }
      if (!now.get().lastModified().isBefore(cutoff)) {
        young++;
        continue;
      }
      if (dryRun || store.chunks().delete(c.name())) {
        swept++;
        bytes += now.get().size();
      }
    }
    long leftovers = 0;
    if (!dryRun && store.chunks() instanceof LocalChunkStore local) {
      // Named after their writer's pid: removed once it is gone. Older versions' (no pid): a
      // writer's temporary file lives for milliseconds, an hour-old one was left by a killed one.
      leftovers +=
          local.removeStaleTemporaryFiles(
              grace.compareTo(Duration.ofHours(1)) > 0 ? grace : Duration.ofHours(1));
    }
    if (!dryRun && scratchDir.isPresent()) {
      leftovers +=
          ScratchDevices.removeLeftovers(scratchDir.get(), ScratchDevices.LEGACY_GRACE, clock);
    }
    long unreferencedYoung = 0;
    for (ChunkName n : present) {
      if (!referenced.contains(n)) {
        unreferencedYoung++;
      }
    }
    unreferencedYoung -= old.stream().filter(c -> !referenced.contains(c.name())).count();
    return new GcResult(
        manifests,
        referenced.size(),
        listed,
        young + unreferencedYoung,
        swept,
        bytes,
        missing,
        dryRun,
        leftovers);
  }
}
