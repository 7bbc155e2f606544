package dev.blocklift.cli;

import dev.blocklift.agent.Prefetcher;
import dev.blocklift.agent.StoreCounter;
import dev.blocklift.agent.Worker;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ImageName;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;

/**
 * The figures of one {@code blocklift run}, written by {@code --stats-json}: when each phase ended
 * (seconds since the launcher started, or since the JVM started without the launcher), what was
 * fetched through the tiers and what reached the store.
 */
final class RunStats {
  private final ImageName image;
  private final long startNanos = System.nanoTime();
  private final double jvmSeconds;
  private double openedAt;
  private double mountedAt;
  private double ranAt;
  private double closedAt;
  private int exitCode;
  private long deviceBytes;
  private long dataBytes;
  private int dataChunks;
  private long chunkReads;
  private long fetches;
  private long bytesFetched;
  private long storeGets;
  private long storeBytes;
  private long storeDistinct;
  private long prefetchPlanned;
  private long prefetchDone;

  RunStats(ImageName image) {
    this.image = image;
    this.jvmSeconds = secondsSinceStart(System.getenv("BLOCKLIFT_LAUNCHED_AT"), Instant.now());
  }

  /**
   * Seconds from the launcher's start ({@code BLOCKLIFT_LAUNCHED_AT}, bash's $EPOCHREALTIME, µs
   * precision) to {@code now}; else from the JVM's start. (ProcessHandle's start instant is not
   * used: on Linux it is computed from the boot time in whole seconds, up to a second off.)
   */
  static double secondsSinceStart(String launchedAt, Instant now) {
    return dev.blocklift.agent.RunClock.secondsSince(launchedAt, now)
        .orElseGet(
            () -> java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime() / 1e3);
  }

  private double now() {
    return jvmSeconds + (System.nanoTime() - startNanos) / 1e9;
  }

  void opened(Worker.Image img) {
    openedAt = now();
    deviceBytes = img.map().deviceSize();
    dataBytes = img.map().dataBytes();
    dataChunks = img.map().distinctChunks();
  }

  void mounted() {
    mountedAt = now();
  }

  void ran(int exit) {
    ranAt = now();
    exitCode = exit;
  }

  void fetched(Worker w) {
    fetches = w.fetcher().metrics().fetches();
    bytesFetched = w.fetcher().metrics().bytesFetched();
    chunkReads = w.fetcher().metrics().reads();
    StoreCounter s = w.storeCounter();
    storeGets = s.gets();
    storeBytes = s.bytes();
    storeDistinct = s.distinctChunks();
  }

  void prefetched(Prefetcher p) {
    prefetchPlanned = p.planned();
    prefetchDone = p.done();
  }

  void closed() {
    closedAt = now();
  }

  String json() {
    return String.format(
        Locale.ROOT,
        """
        {
          "image" : "%s",
          "exitCode" : %d,
          "mainStartedSeconds" : %.3f,
          "openedSeconds" : %.3f,
          "mountedSeconds" : %.3f,
          "containerExitedSeconds" : %.3f,
          "unmountedSeconds" : %.3f,
          "deviceBytes" : %d,
          "imageDataBytes" : %d,
          "imageChunks" : %d,
          "chunkReads" : %d,
          "chunkFetches" : %d,
          "bytesFetched" : %d,
          "storeGets" : %d,
          "storeBytes" : %d,
          "storeDistinctChunks" : %d,
          "storeBytesShareOfImage" : %.4f,
          "prefetchPlanned" : %d,
          "prefetchDone" : %d
        }
        """,
        image,
        exitCode,
        jvmSeconds,
        openedAt,
        mountedAt,
        ranAt,
        closedAt,
        deviceBytes,
        dataBytes,
        dataChunks,
        chunkReads,
        fetches,
        bytesFetched,
        storeGets,
        storeBytes,
        storeDistinct,
        dataBytes == 0 ? 0.0 : (double) storeBytes / dataBytes,
        prefetchPlanned,
        prefetchDone);
  }

  void write(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null && !Files.isDirectory(parent)) {
      throw new BlockliftException(
          "--stats-json " + file + ": directory " + parent + " does not exist");
    }
    Files.writeString(file, json(), StandardCharsets.UTF_8);
  }
}
