package dev.blocklift.bench;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;

/**
 * S3Proxy (a real S3-compatible server) with its filesystem backend, for the benchmarks:
 *
 * <pre>java -cp … dev.blocklift.bench.S3ProxyMain DIR PORT BUCKET</pre>
 *
 * Access key {@code bench}, secret {@code bench-secret-key}; the bucket is created at start.
 */
public final class S3ProxyMain {
  private S3ProxyMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: S3ProxyMain DIR PORT BUCKET");
      System.exit(2);
    }
    Path dir = Files.createDirectories(Path.of(args[0]));
    Properties p = new Properties();
    p.setProperty("jclouds.filesystem.basedir", dir.toAbsolutePath().toString());
    p.setProperty("jclouds.identity", "bench");
    p.setProperty("jclouds.credential", "bench-secret-key");
    BlobStore store = BlobStores.create("filesystem", p);
    store.createContainer(args[2]);
    S3Proxy proxy =
        S3Proxy.builder()
            .blobStore(store)
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, "bench", "bench-secret-key")
            .endpoint(URI.create("http://127.0.0.1:" + Integer.parseInt(args[1])))
            .build();
    proxy.start();
    while (!"STARTED".equals(proxy.getState())) {
      Thread.sleep(10); // S3Proxy offers no start callback; this is a one-off start-up poll
    }
    System.out.println("s3proxy on 127.0.0.1:" + proxy.getPort() + " bucket " + args[2]);
    System.out.flush();
    Thread.currentThread().join();
  }
}
