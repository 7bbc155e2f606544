package dev.blocklift.convert;

import dev.blocklift.chunk.Compression;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a conversion did.
 *
 * @param chunks chunks of the device, holes included
 * @param holes all-zero chunks (never stored)
 * @param newChunks chunks this conversion uploaded
 * @param presentChunks distinct chunks the store already held
 * @param duplicateChunks data chunks whose name another chunk of the same image already had
 * @param bytesUploaded stored (compressed and encrypted) bytes uploaded
 * @param deviceBytes size of the flattened device
 * @param dataBytes plaintext bytes of the data (non-hole) chunks, duplicates included
 * @param storedBytes what those data chunks are as stored (compressed if it paid off, plus frame,
 *     nonce and tag), duplicates included: {@code storedBytes / dataBytes} is the compression ratio
 * @param compression the conversion's compression setting
 * @param compressedChunks data chunks stored zstd-compressed (the others are stored raw),
 *     duplicates included
 * @param reusedChunks data chunks whose key the previous manifest of the name had and whose stored
 *     copy was confirmed, so they were neither compressed nor encrypted (duplicates included)
 * @param flatten time spent loading and flattening the image, with the chunking that overlaps it
 *     (zero for a device conversion)
 * @param upload time spent after the flatten: chunking the rest, encrypting, uploading, making the
 *     chunks durable and publishing
 * @param total the whole conversion
 */
public record ConvertStats(
    int chunks,
    int holes,
    int newChunks,
    int presentChunks,
    int duplicateChunks,
    long bytesUploaded,
    long deviceBytes,
    long dataBytes,
    long storedBytes,
    Compression compression,
    int compressedChunks,
    int reusedChunks,
    Duration flatten,
    Duration upload,
    Duration total) {

  /** Throughput over the image's data bytes, in MB/s (10^6 bytes), for the whole conversion. */
  public double megabytesPerSecond() {
    double s = total.toNanos() / 1e9;
    return s <= 0 ? 0 : dataBytes / 1e6 / s;
  }

  /** {@code storedBytes / dataBytes}: below 1 when compression paid off (1 for no data). */
  public double storedRatio() {
    return dataBytes == 0 ? 1 : (double) storedBytes / dataBytes;
  }

  /** The stats as an ordered map (the {@code --json} form). */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("chunks", chunks);
    m.put("holes", holes);
    m.put("new", newChunks);
    m.put("alreadyPresent", presentChunks);
    m.put("duplicates", duplicateChunks);
    m.put("bytesUploaded", bytesUploaded);
    m.put("deviceBytes", deviceBytes);
    m.put("dataBytes", dataBytes);
    m.put("storedBytes", storedBytes);
    m.put("compression", compression.cliName());
    m.put("compressedChunks", compressedChunks);
    m.put("storedRatio", Math.round(storedRatio() * 1000) / 1000.0);
    m.put("reused", reusedChunks);
    m.put("flattenSeconds", flatten.toMillis() / 1000.0);
    m.put("uploadSeconds", upload.toMillis() / 1000.0);
    m.put("totalSeconds", total.toMillis() / 1000.0);
    m.put("megabytesPerSecond", Math.round(megabytesPerSecond() * 10) / 10.0);
    return m;
  }
}
