package dev.blocklift.fleet.client;

import dev.blocklift.fleet.node.ShardKey;
import dev.blocklift.fleet.placement.NodeAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Moves shard bytes to and from cache nodes. GET completes with the body (empty on 404) or
 * exceptionally (I/O error, timeout, unexpected status); cancelling the future aborts the request.
 */
public interface ShardTransport extends AutoCloseable {
  CompletableFuture<Optional<byte[]>> get(NodeAddress node, ShardKey key, Duration timeout);

  CompletableFuture<Void> put(NodeAddress node, ShardKey key, byte[] shard, Duration timeout);

  @Override
  void close();
}
