package dev.blocklift.fleet.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blocklift.core.ChunkName;
import dev.blocklift.fleet.node.ShardKey;
import dev.blocklift.fleet.placement.Membership;
import dev.blocklift.fleet.placement.NodeAddress;
import dev.blocklift.store.FakeChunkSource;
import dev.blocklift.store.Gate;
import dev.blocklift.testing.Poll;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The fleet client's misses on a fleet that holds nothing (every shard answers 404 at once): the
 * next tier is read once per chunk however many misses wait for it, and a miss that gives up takes
 * nothing from the others.
 */
class FleetStoreReadTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  /** Five nodes that have nothing and accept every PUT. */
  private static final class EmptyFleet implements ShardTransport {
    @Override
    public CompletableFuture<Optional<byte[]>> get(
        NodeAddress node, ShardKey key, Duration timeout) {
      return CompletableFuture.completedFuture(Optional.empty());
    }

    @Override
    public CompletableFuture<Void> put(
        NodeAddress node, ShardKey key, byte[] shard, Duration timeout) {
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public void close() {}
  }

  private final FakeChunkSource store = new FakeChunkSource();
  private final byte[] chunk = new byte[4096];
  private ChunkName name;
  private FleetSource fleet;

  @BeforeEach
  void setUp() {
    new SplittableRandom(5).nextBytes(chunk);
    name = store.add(chunk);
    List<NodeAddress> nodes = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      nodes.add(new NodeAddress("127.0.0.1", 7000 + i));
    }
    fleet =
        new FleetSource(FleetConfig.defaults(), Membership.fixed(nodes), store, new EmptyFleet());
  }

  @AfterEach
  void tearDown() {
    fleet.close();
  }

  @Test
  void concurrentMissesShareOneStoreRead() throws Exception {
    Gate gate = store.hold();
    int readers = 20;
    try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<Optional<byte[]>>> reads = new ArrayList<>();
      for (int i = 0; i < readers; i++) {
        reads.add(ex.submit(() -> fleet.get(name)));
      }
      gate.awaitHeld(1, WAIT);
      Poll.until(
          WAIT,
          "the other misses joined the store read",
          () -> fleet.metrics().snapshot().storeReadsShared() == readers - 1);
      gate.open();
      for (Future<Optional<byte[]>> f : reads) {
        assertArrayEquals(chunk, f.get().orElseThrow());
      }
    }
    assertEquals(1, store.gets());
    FleetMetrics.Snapshot m = fleet.metrics().snapshot();
    assertEquals(readers, m.misses());
    assertEquals(1, m.storeReads());
  }

  /**
   * Fails against the former copy in FleetSource, where the first miss read the store on its own
   * thread: interrupting it failed every miss that had joined its read.
   */
  @Test
  void anInterruptedMissDoesNotFailTheMissesThatJoinedIt() throws Exception {
    Gate gate = store.hold();
    AtomicReference<Throwable> firstOutcome = new AtomicReference<>();
    Thread first =
        Thread.ofVirtual()
            .start(
                () -> {
                  try {
                    fleet.get(name);
                  } catch (IOException | RuntimeException e) {
                    firstOutcome.set(e);
                  }
                });
    gate.awaitHeld(1, WAIT);
    try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
      Future<Optional<byte[]>> second = ex.submit(() -> fleet.get(name));
      Poll.until(
          WAIT,
          "the second miss joined the first one's store read",
          () -> fleet.metrics().snapshot().storeReadsShared() == 1);
      first.interrupt();
      assertTrue(first.join(WAIT), "the interrupted miss returned");
      assertInstanceOf(InterruptedIOException.class, firstOutcome.get());
      gate.open();
      assertArrayEquals(chunk, second.get().orElseThrow());
    }
    assertEquals(0, gate.interrupts(), "the store read went on for the miss still waiting");
    assertEquals(1, store.gets());
  }

  @Test
  void aMissRightAfterAFailedStoreReadReadsAgain() throws Exception {
    store.failWith(new IOException("store down"));
    IOException e = assertThrows(IOException.class, () -> fleet.get(name));
    assertTrue(e.getMessage().contains("store down"), e.getMessage());
    store.failWith(null);
    assertArrayEquals(chunk, fleet.get(name).orElseThrow());
    assertEquals(2, store.gets());
  }
}
