package dev.blocklift.agent;

import dev.blocklift.chunk.Manifest;
import dev.blocklift.chunk.OpenedManifest;
import dev.blocklift.core.ChunkName;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/** The production {@link ChunkMap}: an opened (key-unsealed) manifest. */
public final class ManifestChunkMap implements ChunkMap {
  private final OpenedManifest opened;
  private final Manifest manifest;
  private final String label;

  public ManifestChunkMap(OpenedManifest opened, String label) {
    this.opened = opened;
    this.manifest = opened.manifest();
    this.label = label;
  }

  public Manifest manifest() {
    return manifest;
  }

  @Override
  public int chunkSize() {
    return manifest.chunkSize();
  }

  @Override
  public long deviceSize() {
    return manifest.deviceSize();
  }

  @Override
  public int chunkCount() {
    return manifest.chunkCount();
  }

  @Override
  public Optional<ChunkName> chunk(int index) {
    return manifest.chunk(index);
  }

  @Override
  public byte[] decrypt(int index, byte[] ciphertext) {
    return opened.decrypt(index, ciphertext);
  }

  /** Distinct non-hole chunks of the image (what the store holds for it). */
  public int distinctChunks() {
    return manifest.distinctChunks().size();
  }

  /** Plaintext bytes of the distinct non-hole chunks: the image's data as stored. */
  public long dataBytes() {
    Set<ChunkName> seen = new HashSet<>();
    long bytes = 0;
    for (int i = 0; i < chunkCount(); i++) {
      Optional<ChunkName> name = manifest.chunk(i);
      if (name.isPresent() && seen.add(name.get())) {
        bytes += chunkLength(i);
      }
    }
    return bytes;
  }

  @Override
  public String describe() {
    return label;
  }
}
