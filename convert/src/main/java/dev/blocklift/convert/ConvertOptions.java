package dev.blocklift.convert;

import dev.blocklift.chunk.ChunkSize;
import dev.blocklift.chunk.Compression;
import dev.blocklift.chunk.TenantId;
import dev.blocklift.core.ImageName;
import java.util.Optional;

/**
 * Policy of one conversion.
 *
 * @param name the name to publish the manifest under
 * @param tenant whose key seals the manifest
 * @param chunkSize the fixed chunk size
 * @param compression whether chunk bodies are zstd-compressed before encryption ({@link
 *     Compression#ZSTD} by default; a chunk that does not compress is stored raw either way)
 * @param saltLabel an optional placement or popularity label for the salt scope
 * @param workers encryption threads (CPU-bound; default: the number of cores)
 * @param maxInFlightUploads uploads running at once (each on its own virtual thread)
 * @param queueCapacity plaintext chunks read ahead of the encryption workers; with {@code
 *     maxInFlightUploads} it bounds memory to about {@code (queueCapacity + workers +
 *     maxInFlightUploads) × chunkSize}
 */
public record ConvertOptions(
    ImageName name,
    TenantId tenant,
    ChunkSize chunkSize,
    Compression compression,
    Optional<String> saltLabel,
    int workers,
    int maxInFlightUploads,
    int queueCapacity) {
  public ConvertOptions {
    java.util.Objects.requireNonNull(compression, "compression");
    if (workers < 1 || maxInFlightUploads < 1 || queueCapacity < 1) {
      throw new IllegalArgumentException(
          "workers, uploads and queue capacity must be at least 1, got "
              + workers
              + ", "
              + maxInFlightUploads
              + ", "
              + queueCapacity);
    }
  }

  /**
   * Defaults: 512 KiB chunks, zstd, one worker per core, 16 uploads in flight, 2 chunks queued per
   * worker.
   */
  public static ConvertOptions of(ImageName name, TenantId tenant) {
    int cores = Runtime.getRuntime().availableProcessors();
    return new ConvertOptions(
        name,
        tenant,
        ChunkSize.DEFAULT,
        Compression.DEFAULT,
        Optional.empty(),
        cores,
        16,
        2 * cores);
  }

  public ConvertOptions withName(ImageName n) {
    return new ConvertOptions(
        n, tenant, chunkSize, compression, saltLabel, workers, maxInFlightUploads, queueCapacity);
  }

  public ConvertOptions withChunkSize(ChunkSize size) {
    return new ConvertOptions(
        name, tenant, size, compression, saltLabel, workers, maxInFlightUploads, queueCapacity);
  }

  public ConvertOptions withCompression(Compression c) {
    return new ConvertOptions(
        name, tenant, chunkSize, c, saltLabel, workers, maxInFlightUploads, queueCapacity);
  }

  public ConvertOptions withConcurrency(int workers, int maxInFlightUploads, int queueCapacity) {
    return new ConvertOptions(
        name,
        tenant,
        chunkSize,
        compression,
        saltLabel,
        workers,
        maxInFlightUploads,
        queueCapacity);
  }
}
