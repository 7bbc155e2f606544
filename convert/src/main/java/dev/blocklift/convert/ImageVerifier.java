package dev.blocklift.convert;

import dev.blocklift.chunk.KeyService;
import dev.blocklift.chunk.Manifest;
import dev.blocklift.chunk.OpenedManifest;
import dev.blocklift.chunk.SaltRoots;
import dev.blocklift.chunk.TenantId;
import dev.blocklift.core.BlockliftException;
import dev.blocklift.core.ChunkName;
import dev.blocklift.core.CorruptChunkException;
import dev.blocklift.core.ImageName;
import dev.blocklift.store.Store;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.function.IntConsumer;

/**
 * Checks that a published image is whole: opens (and so authenticates) its manifest with the
 * tenant's key, then fetches every distinct chunk, verifies it against its name and decrypts it
 * (GCM tag). Chunks are checked on virtual threads, a bounded number at once; plaintext is dropped
 * as soon as it is authenticated.
 */
public final class ImageVerifier {
  private final Store store;
  private final KeyService keys;
  private final SaltRoots roots;
  private final int parallelism;

  public ImageVerifier(Store store, KeyService keys, SaltRoots roots, int parallelism) {
    this.store = store;
    this.keys = keys;
    this.roots = roots;
    this.parallelism = parallelism;
  }

  /**
   * Opens the manifest of {@code name} for {@code tenant}.
   *
   * @throws BlockliftException if there is no such image, or it belongs to another tenant
   * @throws dev.blocklift.core.CorruptDataException if the manifest was tampered with
   */
  public OpenedManifest open(ImageName name, TenantId tenant) throws IOException {
    byte[] bytes =
        store
            .manifests()
            .get(name)
            .orElseThrow(
                () ->
                    new BlockliftException(
                        "no image " + name + " in " + store.uri() + "; see blocklift images"));
    OpenedManifest opened = OpenedManifest.open(bytes, keys, tenant, name);
    roots.checkReadable(opened.manifest().saltRootId(), "manifest " + name);
    return opened;
  }

  /**
   * Verifies every chunk.
   *
   * @param progress told once per distinct chunk checked (from many threads)
   */
  public VerifyReport verify(ImageName name, TenantId tenant, IntConsumer progress)
      throws IOException {
    OpenedManifest opened = open(name, tenant);
    Manifest m = opened.manifest();
    Map<ChunkName, Integer> first = new LinkedHashMap<>();
    for (int i = 0; i < m.chunkCount(); i++) {
      Optional<ChunkName> c = m.chunk(i);
      if (c.isPresent()) {
        first.putIfAbsent(c.get(), i);
      }
    }
    List<VerifyReport.Problem> problems = Collections.synchronizedList(new ArrayList<>());
    Semaphore slots = new Semaphore(parallelism);
    try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
      for (Map.Entry<ChunkName, Integer> e : first.entrySet()) {
        try {
          slots.acquire();
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("verify interrupted");
        }
        ex.execute(
            () -> {
              try {
                check(opened, e.getValue(), e.getKey()).ifPresent(problems::add);
              } finally {
                slots.release();
                progress.accept(1);
              }
            });
      }
    }
    List<VerifyReport.Problem> sorted = new ArrayList<>(problems);
    sorted.sort(Comparator.comparingInt(VerifyReport.Problem::index));
    return new VerifyReport(name, first.size(), sorted);
  }

  private Optional<VerifyReport.Problem> check(OpenedManifest opened, int index, ChunkName name) {
    try {
      Optional<byte[]> bytes = store.chunks().get(name);
      if (bytes.isEmpty()) {
        return Optional.of(
            new VerifyReport.Problem(
                index, name, VerifyReport.Kind.MISSING, "not in " + store.uri()));
      }
      opened.decrypt(index, bytes.get());
      return Optional.empty();
    } catch (CorruptChunkException e) {
      return Optional.of(
          new VerifyReport.Problem(index, name, VerifyReport.Kind.CORRUPT, e.getMessage()));
    } catch (IOException | RuntimeException e) {
      return Optional.of(
          new VerifyReport.Problem(index, name, VerifyReport.Kind.UNREADABLE, e.toString()));
    }
  }
}
