package dev.blocklift.convert;

import dev.blocklift.chunk.ChunkFormat;
import dev.blocklift.chunk.ChunkKey;
import dev.blocklift.chunk.Compression;
import dev.blocklift.chunk.ConvergentEncryption;
import dev.blocklift.chunk.KeyService;
import dev.blocklift.chunk.Manifest;
import dev.blocklift.chunk.OpenedManifest;
import dev.blocklift.chunk.Salt;
import dev.blocklift.core.ChunkName;
import dev.blocklift.core.ImageName;
import dev.blocklift.store.ChunkBatch;
import dev.blocklift.store.Store;
import java.io.IOException;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The chunks of the manifest already published under the name being converted, by key: what makes
 * re-converting an image nearly free. A chunk's key {@code K = SHA-256(salt ‖ P)} is a fraction of
 * the cost of compressing and encrypting it, and names its plaintext exactly, so a chunk whose key
 * the previous manifest has needs no encryption: its name is taken from there once the store
 * confirms it still holds it (and, from its stored size, that it is stored raw or compressed as
 * this conversion's {@link Compression} setting would store it).
 *
 * <p>Stored raw or compressed: under {@link Compression#NONE} only raw chunks are taken. Under
 * {@link Compression#ZSTD} compressed ones are, and raw ones too if the previous conversion
 * compressed (then a raw chunk is one zstd did not shrink enough, and would not now either): that
 * is known from the store, if one of the first {@value #PROBES} data chunks is stored compressed.
 *
 * <p>Used only if that manifest opens with the tenant's key (it is authenticated), has this
 * conversion's salt, chunk size and the current chunk format; anything else (no manifest, another
 * tenant, a rotated salt root, an unreadable manifest) simply means no reuse.
 */
final class PriorChunks {
  static final PriorChunks NONE = new PriorChunks(Map.of(), Compression.NONE, false, Instant.EPOCH);

  /** Chunks of the previous manifest looked up to tell whether it compressed. */
  static final int PROBES = 16;

  private final Map<ChunkKey, ChunkName> byKey;
  private final Compression compression;
  private final boolean priorCompressed;
  private final Instant publishedBy;

  private PriorChunks(
      Map<ChunkKey, ChunkName> byKey,
      Compression compression,
      boolean priorCompressed,
      Instant publishedBy) {
    this.byKey = byKey;
    this.compression = compression;
    this.priorCompressed = priorCompressed;
    this.publishedBy = publishedBy;
  }

  static PriorChunks load(
      Store store, KeyService keys, ImageName name, Salt salt, ConvertOptions options) {
    OpenedManifest opened;
    Instant readAt = Instant.now();
    try {
      Optional<byte[]> bytes = store.manifests().get(name);
      if (bytes.isEmpty()) {
        return NONE;
      }
      opened = OpenedManifest.open(bytes.get(), keys, options.tenant(), name);
    } catch (Exception e) {
      return NONE; // not ours to read, or unreadable: convert from scratch
    }
    Manifest m = opened.manifest();
    if (!opened.salt().equals(salt)
        || m.chunkSize() != options.chunkSize().bytes()
        || m.chunkFormat() != ChunkFormat.CURRENT) {
      return NONE;
    }
    Map<ChunkKey, ChunkName> byKey = new HashMap<>();
    boolean compressed = false;
    int probes = 0;
    for (int i = 0; i < m.chunkCount(); i++) {
      Optional<ChunkName> n = m.chunk(i);
      if (n.isPresent()) {
        byKey.put(opened.key(i).orElseThrow(), n.get());
        if (!compressed && probes < PROBES && options.compression() == Compression.ZSTD) {
          probes++;
          compressed = storedCompressed(store, n.get(), m.chunkLength(i));
        }
      }
    }
    return new PriorChunks(byKey, options.compression(), compressed, readAt);
  }

  private static boolean storedCompressed(Store store, ChunkName name, int length) {
    try {
      return store
          .chunks()
          .stat(name)
          .map(c -> c.size() != ConvergentEncryption.rawStoredLength(length))
          .orElse(false);
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * When the manifest was read: it was published by then (see {@link ChunkBatch#reusePublished}).
   */
  Instant publishedBy() {
    return publishedBy;
  }

  boolean isEmpty() {
    return byKey.isEmpty();
  }

  Optional<ChunkName> lookup(ChunkKey key) {
    return Optional.ofNullable(byKey.get(key));
  }

  /**
   * True if a chunk of {@code length} plaintext bytes stored as {@code storedSize} bytes is what
   * this conversion would store: raw under {@link Compression#NONE}; compressed under {@link
   * Compression#ZSTD}, or raw if the previous conversion compressed (else a raw one might compress
   * now, so it is encrypted again).
   */
  boolean matchesSetting(int length, long storedSize) {
    boolean raw = storedSize == ConvergentEncryption.rawStoredLength(length);
    return compression == Compression.NONE ? raw : !raw || priorCompressed;
  }
}
