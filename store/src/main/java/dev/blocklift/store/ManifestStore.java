package dev.blocklift.store;

import dev.blocklift.core.ImageName;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * Where converted images are published: {@code NAME:TAG} → the manifest bytes. The store treats
 * manifests as opaque bytes; their format and authentication belong to the chunk module.
 *
 * <p>Contract: {@link #publish} is atomic — a reader sees either the previous manifest or the new
 * one, whole, never a torn or partial one — and a tag may be re-published (the new bytes replace
 * the old). Callers publish a manifest only after every chunk it names is stored, so a reader never
 * sees a manifest whose chunks are not all present.
 */
public interface ManifestStore extends AutoCloseable {
  /** Atomically publishes (or replaces) the manifest of {@code name}. */
  void publish(ImageName name, byte[] manifest) throws IOException;

  /** The manifest of {@code name}, or empty if none is published. */
  Optional<byte[]> get(ImageName name) throws IOException;

  /** Every published name, sorted. */
  List<ImageName> list() throws IOException;

  /**
   * Removes the manifest of {@code name}.
   *
   * @return true if it was there
   */
  boolean delete(ImageName name) throws IOException;

  /** A short description for messages, e.g. {@code file:///var/lib/blocklift/store}. */
  String describe();

  @Override
  default void close() throws IOException {}
}
