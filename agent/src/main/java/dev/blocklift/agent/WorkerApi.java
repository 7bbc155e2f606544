package dev.blocklift.agent;

import java.io.IOException;
import java.util.Optional;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * An API the worker serves beside its own, on the same socket and listeners (the functions' Invoke
 * and Runtime APIs). The worker authenticates callers on its unix socket and its {@code --listen}
 * TCP port before a request reaches the API; on the invoke listener it does not, and the API
 * authenticates the request itself ({@link Caller#authenticated()} is false there).
 */
public interface WorkerApi extends AutoCloseable {

  /** Who is calling, as the worker established it. */
  record Caller(boolean authenticated, boolean root, String name) {
    /** A request on the invoke listener: the API must check its credentials. */
    public static Caller unauthenticated(String remote) {
      return new Caller(false, false, remote);
    }
  }

  /** What the API gets from the worker it runs in. */
  record Context(WorkerContainers containers, Optional<byte[]> token, java.nio.file.Path state) {
    /** The worker's shared tiers and fetcher, to open images on (e.g. the NBD exports). */
    public Worker worker() {
      return containers.worker();
    }
  }

  /** Makes the API once the worker's containers exist. */
  @FunctionalInterface
  interface Factory {
    WorkerApi open(Context context) throws IOException;
  }

  /** Whether requests for {@code path} are this API's. */
  boolean serves(String path);

  /** Answers one request (the response is this method's to complete, through the callback). */
  void handle(Request request, Response response, Callback callback, Caller caller)
      throws Exception;

  /** The API's Prometheus metrics (may be empty). */
  String prometheus();

  /** Stops what the API runs (its containers are removed by the worker afterwards). */
  @Override
  void close();
}
