package dev.blocklift.convert;

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
 * @param bytesUploaded ciphertext bytes uploaded
 * @param deviceBytes size of the flattened device
 * @param dataBytes plaintext bytes of the data (non-hole) chunks
 * @param flatten time spent loading and flattening the image (zero for a device conversion)
 * @param upload time spent chunking, encrypting, uploading and publishing
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
    Duration flatten,
    Duration upload,
    Duration total) {

  /** Throughput over the image's data bytes, in MB/s (10^6 bytes), for the whole conversion. */
  public double megabytesPerSecond() {
    double s = total.toNanos() / 1e9;
    return s <= 0 ? 0 : dataBytes / 1e6 / s;
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
    m.put("flattenSeconds", flatten.toMillis() / 1000.0);
    m.put("uploadSeconds", upload.toMillis() / 1000.0);
    m.put("totalSeconds", total.toMillis() / 1000.0);
    m.put("megabytesPerSecond", Math.round(megabytesPerSecond() * 10) / 10.0);
    return m;
  }
}
