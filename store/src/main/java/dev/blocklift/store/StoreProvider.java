package dev.blocklift.store;

import java.io.IOException;
import java.net.URI;

/**
 * Opens stores of one URI scheme. Implementations outside this module (S3) register through {@link
 * java.util.ServiceLoader}; {@link Stores#open(URI)} picks one by scheme.
 */
public interface StoreProvider {
  /** The URI scheme this provider opens, lower-case, e.g. {@code file} or {@code s3}. */
  String scheme();

  /**
   * Opens the store at {@code uri}.
   *
   * @throws IllegalArgumentException if the URI is malformed for this scheme (message names it)
   * @throws IOException if the store cannot be reached or created
   */
  Store open(URI uri) throws IOException;
}
