package dev.blocklift.store.local;

import dev.blocklift.store.FsyncPolicy;
import dev.blocklift.store.Store;
import dev.blocklift.store.StoreProvider;
import dev.blocklift.store.Stores;
import dev.blocklift.store.UriQuery;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Set;

/**
 * {@code file:///path[?fsync=full|file|none]}: a local directory holding {@code chunks/} and {@code
 * manifests/}.
 */
public final class LocalStoreProvider implements StoreProvider {
  @Override
  public String scheme() {
    return "file";
  }

  @Override
  public Store open(URI uri) throws IOException {
    if (uri.getRawAuthority() != null && !uri.getRawAuthority().isEmpty()) {
      throw new IllegalArgumentException(
          "file store URI must not name a host, got "
              + Stores.redact(uri)
              + "; use file:///absolute/path");
    }
    String path = uri.getPath();
    if (path == null || !path.startsWith("/")) {
      throw new IllegalArgumentException(
          "file store URI must hold an absolute path, got "
              + Stores.redact(uri)
              + "; use file:///absolute/path");
    }
    UriQuery q = UriQuery.parse(uri, Set.of("fsync"));
    FsyncPolicy fsync = FsyncPolicy.parse(q.get("fsync", "full"));
    return open(Path.of(path), fsync);
  }

  /** Opens (creating if needed) the local store rooted at {@code dir}. */
  public static Store open(Path dir, FsyncPolicy fsync) throws IOException {
    Path root = dir.toAbsolutePath().normalize();
    return new Store(
        root.toUri().toString(),
        new LocalChunkStore(root.resolve("chunks"), fsync),
        new LocalManifestStore(root.resolve("manifests"), fsync));
  }
}
