package dev.blocklift.s3;

import dev.blocklift.store.ManifestStore;
import dev.blocklift.store.ManifestStoreContract;
import dev.blocklift.store.Store;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

class S3ManifestStoreTest extends ManifestStoreContract {
  @TempDir static Path serverDir;
  static S3ProxyServer server;
  static final AtomicInteger BUCKETS = new AtomicInteger();
  Store opened;

  @BeforeAll
  static void startServer() throws Exception {
    server = S3ProxyServer.start(serverDir);
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  @Override
  protected ManifestStore newStore() {
    String bucket = "manifests-" + BUCKETS.incrementAndGet();
    server.createBucket(bucket);
    opened = S3StoreProvider.open(server.config(bucket, "p"), S3ProxyServer.credentials());
    return opened.manifests();
  }

  @AfterEach
  void closeConnection() throws Exception {
    opened.close();
  }
}
