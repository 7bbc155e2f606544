package dev.blocklift.agent;

import dev.blocklift.chunk.Manifest;
import dev.blocklift.chunk.OpenedManifest;
import dev.blocklift.core.ChunkName;
import java.util.Optional;

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

  @Override
  public String describe() {
    return label;
  }
}
